"""Fixtures of the tickets tests: demo units, a frozen clock and a ticket builder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy.orm import Session

from tickets import service
from tickets.models import Ticket, Unit
from tickets.schemas import ActionIn, TicketCreate

SH = ZoneInfo("Asia/Shanghai")
# Tuesday 2025-09-30 10:00 Asia/Shanghai: the worked example, just before the National Day holiday
T0 = datetime(2025, 9, 30, 10, 0, tzinfo=SH)


def sh(*args: int) -> datetime:
    """A time in Asia/Shanghai."""
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """The clock frozen at T0; move it with ``clock.move_to(...)``."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def units(session: Session) -> dict[str, Unit]:
    """The demo units, by name."""
    service.seed_demo_units(session=session)
    return {u.name: u for u in service.get_units(session=session)}


def new_ticket(session: Session, **fields: Any) -> Ticket:
    data: dict[str, Any] = {"channel": "phone", "content": "小区路灯不亮", "region_code": "620102"}
    data.update(fields)
    return service.create(session=session, ticket_in=TicketCreate(**data), actor="坐席A")


def step(
    session: Session, t: Ticket, action: str, *, role: str = "agent", as_unit: int | None = None, **data: Any
) -> Ticket:
    """Apply one action at the ticket's current version (a unit user acts for ``as_unit``, default the lead)."""
    unit_id = as_unit if as_unit is not None else (t.lead_unit_id if role == "unit_user" else None)
    return service.act(
        session=session, ticket_id=t.id, action=action, data=ActionIn(version=t.version, **data),
        actor=f"{role}-tester", role=role, unit_id=unit_id,
    )  # fmt: skip


def dispatched(session: Session, unit: Unit, **fields: Any) -> Ticket:
    t = new_ticket(session, **fields)
    return step(session, t, "dispatch", unit_id=unit.id)


def in_progress(session: Session, unit: Unit, **fields: Any) -> Ticket:
    t = dispatched(session, unit, **fields)
    step(session, t, "sign", role="unit_user")
    return step(session, t, "start", role="unit_user")
