"""ORM models owned by the API: access tokens that map to principals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.db import Base, utcnow

ROLES = ("citizen", "agent", "department_editor", "reviewer", "admin", "unit_user", "manager", "evaluator")


class ApiToken(Base):
    """A bearer token / API key. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(12), default=None)
    department: Mapped[str | None] = mapped_column(String(128), default=None)
    unit_id: Mapped[int | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
