"""ORM models of the assistant package: chat sessions and their turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.db import Base, utcnow

TURN_ROLES = ("user", "assistant")


class ChatSession(Base):
    """One citizen conversation. The id is an unguessable token; ``owner`` is the principal that opened it,
    so nobody else can read or continue it."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    # the ticket a confirmed draft became (its id in the tickets domain)
    ticket_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    turns: Mapped[list[ChatTurn]] = relationship(
        back_populates="session", order_by="ChatTurn.seq", cascade="all, delete-orphan"
    )


class ChatTurn(Base):
    """One message: the citizen's (masked text) or the assistant's reply with its decision."""

    __tablename__ = "chat_turns"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_chat_turns_session_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # assistant turns: answer | clarify | escalate, the entry given, the calibrated confidence
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    entry_id: Mapped[int | None] = mapped_column(Integer, default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    # citations, candidates, the ticket draft, the rewritten query
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    session: Mapped[ChatSession] = relationship(back_populates="turns")
