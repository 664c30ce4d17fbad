"""Pydantic schemas of the tickets package: what callers send and what they get back."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tickets.calendar import TZ
from tickets.models import Ticket

Channel = Literal["phone", "web", "wechat", "mini_program", "app", "partner"]

_PHONE_CHARS = re.compile(r"^\+?[\d\s-]+$")


class TicketCreate(BaseModel):
    """A new ticket. The assistant passes the chat ``transcript`` and its ``suggestion``
    (category, department, confidence...) from a confirmed draft."""

    channel: Channel
    content: str = Field(min_length=1, max_length=10_000)
    caller_name: str | None = Field(default=None, max_length=64)
    caller_phone: str | None = Field(default=None, max_length=32)
    region_code: str | None = None
    category: str | None = Field(default=None, max_length=128)
    department: str | None = Field(default=None, max_length=128, description="suggested generic department")
    urgent: bool = False
    transcript: list[dict[str, Any]] | str | None = None
    suggestion: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(
        default=None, description="retry-safe creation: the same key returns the same ticket"
    )

    @field_validator("content")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank: say what the caller asks or reports")
        return v.strip()

    @field_validator("caller_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        digits = re.sub(r"\D", "", v)
        if not _PHONE_CHARS.match(v.strip()) or not 5 <= len(digits) <= 15:
            raise ValueError("a phone number is 5 to 15 digits (spaces, '-' and a leading '+' allowed)")
        return v.strip()


class ActionIn(BaseModel):
    """The body of ``POST /tickets/{id}/{action}``. ``version`` is the version the caller saw."""

    version: int = Field(ge=1)
    note: str = Field(default="", max_length=5000)
    unit_id: int | None = Field(default=None, description="dispatch: the lead unit")
    department: str | None = Field(
        default=None, description="dispatch: a generic department, resolved by region"
    )
    assisting_unit_ids: list[int] = Field(default_factory=list)
    reason: str | None = Field(default=None, max_length=2000, description="send_back, extension: why")
    reply: str | None = Field(default=None, max_length=10_000, description="reply: the answer to the caller")
    days: int | None = Field(default=None, description="request_extension: working days wanted")
    extension_id: int | None = None
    master_id: int | None = Field(default=None, description="merge: the master ticket")
    satisfied: bool | None = None
    resolved: bool | None = None
    comment: str = Field(default="", max_length=2000)


class RatingIn(BaseModel):
    """A citizen's or agent's callback (回访) answer."""

    satisfied: bool
    resolved: bool
    comment: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1, description="optional: the version the caller saw")


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    department: str
    region_code: str
    kind: str


class UnitCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=128)
    region_code: str
    kind: Literal["department", "enterprise", "government", "hotline"] = "department"


class Deadlines(BaseModel):
    dispatch: datetime | None = None
    sign: datetime | None = None
    feedback: datetime | None = None
    progress: datetime | None = None
    finish: datetime | None = None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str
    unit_id: int | None
    data: dict[str, Any]


class CallbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    satisfied: bool
    resolved: bool
    comment: str


class ExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    requested_at: datetime
    requested_by: str
    days: int
    reason: str
    status: str
    old_due: datetime | None
    new_due: datetime | None


class TicketRead(BaseModel):
    """A ticket as staff see it: the caller's phone masked, deadlines as ISO times."""

    id: int
    channel: str
    caller_name: str | None
    caller_phone: str | None
    content: str
    region_code: str | None
    category: str | None
    urgent: bool
    status: str
    version: int
    lead_unit: UnitRead | None
    assisting_units: list[UnitRead]
    master_id: int | None
    consultation: bool
    supervised: bool
    send_back_count: int
    extension_count: int
    reminder_count: int
    reply: str | None
    received_at: datetime
    dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    deadlines: Deadlines
    overdue: bool
    overdue_stages: list[str]
    allowed_actions: list[str]
    suggestion: dict[str, Any]
    transcript: list[dict[str, Any]]
    events: list[EventRead] = Field(default_factory=list)
    callbacks: list[CallbackRead] = Field(default_factory=list)
    extensions: list[ExtensionRead] = Field(default_factory=list)

    @classmethod
    def of(cls, t: Ticket, *, overdue_now: list[str], allowed: list[str], detail: bool = False) -> TicketRead:
        stages = sorted(set(t.overdue_stages) | set(overdue_now))
        return cls(
            id=t.id,
            channel=t.channel,
            caller_name=t.caller_name,
            caller_phone=t.caller_phone_masked,
            content=t.content,
            region_code=t.region_code,
            category=t.category,
            urgent=t.urgent,
            status=t.status,
            version=t.version,
            lead_unit=UnitRead.model_validate(t.lead_unit) if t.lead_unit else None,
            assisting_units=[UnitRead.model_validate(u) for u in t.assisting_units],
            master_id=t.master_id,
            consultation=t.consultation,
            supervised=t.supervised,
            send_back_count=t.send_back_count,
            extension_count=t.extension_count,
            reminder_count=t.reminder_count,
            reply=t.reply,
            received_at=t.received_at,
            dispatched_at=t.dispatched_at,
            signed_at=t.signed_at,
            replied_at=t.replied_at,
            closed_at=t.closed_at,
            deadlines=deadlines_of(t),
            overdue=bool(stages),
            overdue_stages=stages,
            allowed_actions=allowed,
            suggestion=t.suggestion or {},
            transcript=t.transcript or [],
            events=[EventRead.model_validate(e) for e in t.events] if detail else [],
            callbacks=[CallbackRead.model_validate(c) for c in t.callbacks] if detail else [],
            extensions=[ExtensionRead.model_validate(x) for x in t.extensions] if detail else [],
        )


class TicketCreated(BaseModel):
    """The created ticket and the citizen's token (shown once) to follow and rate it."""

    ticket: TicketRead
    citizen_token: str
    replayed: bool = False


class TicketPublic(BaseModel):
    """What a citizen sees of their own ticket."""

    id: int
    status: str
    content: str
    received_at: datetime
    reply: str | None
    deadlines: Deadlines
    version: int
    callbacks: list[CallbackRead]

    @classmethod
    def of(cls, t: Ticket) -> TicketPublic:
        return cls(
            id=t.id,
            status=t.status,
            content=t.content,
            received_at=t.received_at,
            reply=t.reply,
            deadlines=deadlines_of(t),
            version=t.version,
            callbacks=[CallbackRead.model_validate(c) for c in t.callbacks],
        )


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    offset: int
    limit: int


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(TZ) if moment is not None else None


def deadlines_of(t: Ticket) -> Deadlines:
    """The ticket's deadlines in Asia/Shanghai time (the hotline's clock)."""
    return Deadlines(
        dispatch=_local(t.dispatch_due),
        sign=_local(t.sign_due),
        feedback=_local(t.feedback_due),
        progress=_local(t.progress_due),
        finish=_local(t.finish_due),
    )
