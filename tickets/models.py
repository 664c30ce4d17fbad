"""ORM models of the tickets package: units, tickets, their audit trail, callbacks, extensions,
and the admins' working-day calendar overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.db import Base, utcnow

CHANNELS = ("phone", "web", "wechat", "mini_program", "app", "partner")
UNIT_KINDS = ("department", "enterprise", "government", "hotline")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Unit(Base):
    """A unit tickets are dispatched to: a department or organisation serving one region.

    ``department`` is the generic name the hotline routes by (市住房和城乡建设局); ``name`` is the
    concrete unit (兰州市住房和城乡建设局).
    """

    __tablename__ = "ticket_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    department: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


ticket_assists = Table(
    "ticket_assists",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("ticket_units.id"), primary_key=True),
)


class Ticket(Base):
    """One 工单. ``version`` is the optimistic lock: every transition names the version it saw."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    caller_name: Mapped[str | None] = mapped_column(String(64), default=None)
    # The full number is kept only for the callback; everything shown uses the masked copy.
    caller_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    caller_phone_masked: Mapped[str | None] = mapped_column(String(32), default=None)
    content: Mapped[str] = mapped_column(Text)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    suggestion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), default=None, index=True)
    category: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_units.id"), default=None, index=True)
    master_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    consultation: Mapped[bool] = mapped_column(Boolean, default=False)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    send_back_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    progress_reports: Mapped[int] = mapped_column(Integer, default=0)
    # stages whose deadline passed unmet (dispatch, sign, feedback, progress, finish), set by the sweep
    overdue_stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by: Mapped[str] = mapped_column(String(128))

    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    direct_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    dispatch_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sign_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    feedback_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    progress_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finish_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # the finish deadline as it stood when the unit replied (extensions included), for 按时办结率
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    assisting_units: Mapped[list[Unit]] = relationship(secondary=ticket_assists, order_by=Unit.id)
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    callbacks: Mapped[list[Callback]] = relationship(order_by="Callback.id", cascade="all, delete-orphan")
    extensions: Mapped[list[Extension]] = relationship(order_by="Extension.id", cascade="all, delete-orphan")


class TicketEvent(Base):
    """The audit trail: who did what to a ticket, from which status to which, and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str | None] = mapped_column(String(16), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_units.id"), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Callback(Base):
    """A callback (回访): was the caller satisfied, was the problem resolved."""

    __tablename__ = "ticket_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(128))


class Extension(Base):
    """A unit's request for more time (延期), approved or denied by the hotline."""

    __tablename__ = "ticket_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(128))
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    old_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    new_due: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CalendarOverride(Base):
    """An admin's correction or extension of the working-day calendar (wins over the bundled data)."""

    __tablename__ = "ticket_calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128), default="admin")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketToken(Base):
    """A citizen's token for one ticket (only its SHA-256 is kept). A replayed creation issues
    another one, because the first answer may never have reached the caller."""

    __tablename__ = "ticket_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
