"""ORM models of the eval package: stored runs and their per-item results, for comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.db import Base, utcnow

RUN_STATUSES = ("running", "done", "failed")


class EvalRun(Base):
    """One evaluation run: its set, suites, headline metrics and rendered reports."""

    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_name: Mapped[str] = mapped_column(String(128))
    suite: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    created_by: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report_html: Mapped[str] = mapped_column(Text, default="")
    report_md: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)

    items: Mapped[list[EvalItem]] = relationship(
        back_populates="run", cascade="all, delete-orphan", lazy="raise"
    )


class EvalItem(Base):
    """One question or ticket of a run under one suite and configuration."""

    __tablename__ = "eval_items"
    __table_args__ = (
        UniqueConstraint("run_id", "suite", "config", "item_id", name="uq_eval_items_run_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    suite: Mapped[str] = mapped_column(String(32))
    config: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(128))
    correct: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    run: Mapped[EvalRun] = relationship(back_populates="items")
