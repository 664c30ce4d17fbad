"""Hotline KPIs over the tickets received in a period, overall and broken down by lead unit,
region, category and period (day, ISO week or month, by the Asia/Shanghai date of receipt).

Population: tickets received in [start, end) (Asia/Shanghai dates), except duplicates merged
into a master ticket (status ``merged``), which the master already counts.
Each figure is defined where it is computed, in ``_figures``. Rates are None when their
denominator is 0, and are rounded to 4 decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.db import utcnow
from tickets.calendar import TZ, local_date
from tickets.errors import InvalidTicketInput
from tickets.models import Ticket
from tickets.service import overdue_stages

PERIODS = ("day", "week", "month")
FINISHED = ("replied", "callback", "closed")
NO_UNIT = "(not dispatched)"
NO_VALUE = "(none)"


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _figures(tickets: Sequence[Ticket], now: datetime) -> dict[str, Any]:
    received = len(tickets)
    # 直接答复率 direct_answer_rate: tickets the hotline answered at once (direct_answered, then
    # usually closed) / tickets received.
    direct = sum(1 for t in tickets if t.direct_answered_at is not None)
    # dispatched: tickets dispatched to a unit at least once.
    dispatched = [t for t in tickets if t.first_dispatched_at is not None]
    # 办结率 completion_rate: dispatched tickets whose unit replied and that are not open again
    # (status replied, callback or closed with a reply) / dispatched tickets.
    finished = [t for t in dispatched if t.status in FINISHED and t.replied_at is not None]
    # 按时办结率 on_time_rate: finished tickets replied by their finish deadline as it stood at the
    # reply (approved extensions included) / finished tickets.
    on_time = sum(1 for t in finished if t.replied_on_time)
    # 满意率 satisfaction_rate: tickets whose latest callback says "satisfied" / tickets with at
    # least one callback (a reopened ticket that ends satisfied counts as satisfied).
    rated = [t for t in tickets if t.callbacks]
    satisfied = sum(1 for t in rated if t.callbacks[-1].satisfied)
    # 退单率 send_back_rate: dispatched tickets sent back at least once / dispatched tickets.
    sent_back = sum(1 for t in dispatched if t.send_back_count > 0)
    # avg_dispatch_minutes: mean minutes from receipt to the first dispatch, over dispatched tickets.
    waits = [
        (t.first_dispatched_at - t.received_at).total_seconds() / 60
        for t in dispatched
        if t.first_dispatched_at
    ]
    # overdue: tickets that missed a deadline (marked by the sweep, or late now); overdue_by_stage
    # counts each stage missed (a ticket late to sign and to finish counts in both).
    by_stage: dict[str, int] = defaultdict(int)
    overdue = 0
    for t in tickets:
        stages = set(t.overdue_stages or []) | set(overdue_stages(t, now))
        overdue += bool(stages)
        for s in stages:
            by_stage[s] += 1
    return {
        "received": received,
        "direct_answered": direct,
        "dispatched": len(dispatched),
        "finished": len(finished),
        "finished_on_time": on_time,
        "rated": len(rated),
        "satisfied": satisfied,
        "sent_back": sent_back,
        "direct_answer_rate": _rate(direct, received),
        "completion_rate": _rate(len(finished), len(dispatched)),
        "on_time_rate": _rate(on_time, len(finished)),
        "satisfaction_rate": _rate(satisfied, len(rated)),
        "send_back_rate": _rate(sent_back, len(dispatched)),
        "avg_dispatch_minutes": round(sum(waits) / len(waits), 2) if waits else None,
        "overdue": overdue,
        "overdue_by_stage": dict(sorted(by_stage.items())),
    }


def period_key(moment: datetime, period: str) -> str:
    """The period a moment falls in, by its Asia/Shanghai date: 2025-10-14, 2025-W42 or 2025-10."""
    d = local_date(moment)
    if period == "day":
        return d.isoformat()
    if period == "week":
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    return f"{d.year}-{d.month:02d}"


def _grouped(tickets: Sequence[Ticket], key: Callable[[Ticket], str], now: datetime) -> dict[str, Any]:
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for t in tickets:
        groups[key(t)].append(t)
    return {k: _figures(v, now) for k, v in sorted(groups.items())}


def _bound(d: date | None) -> datetime | None:
    return datetime.combine(d, time(0), tzinfo=TZ).astimezone(UTC) if d else None


def compute(
    *,
    session: Session,
    start: date | None = None,
    end: date | None = None,
    region_codes: Iterable[str] | None = None,
    period: str = "month",
    now: datetime | None = None,
) -> dict[str, Any]:
    """KPIs of tickets received from ``start`` (inclusive) to ``end`` (exclusive), Asia/Shanghai dates."""
    if period not in PERIODS:
        raise InvalidTicketInput(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    if start and end and end <= start:
        raise InvalidTicketInput(f"the period ends ({end}) before it starts ({start}): swap the dates")
    now = now or utcnow()
    q = (
        select(Ticket)
        .where(Ticket.status != "merged")
        .options(selectinload(Ticket.callbacks), selectinload(Ticket.lead_unit))
        .order_by(Ticket.id)
    )
    if (lo := _bound(start)) is not None:
        q = q.where(Ticket.received_at >= lo)
    if (hi := _bound(end)) is not None:
        q = q.where(Ticket.received_at < hi)
    if region_codes is not None:
        q = q.where(Ticket.region_code.in_(list(region_codes)))
    tickets = list(session.scalars(q))
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "period": period,
        "overall": _figures(tickets, now),
        "by_unit": _grouped(tickets, lambda t: t.lead_unit.name if t.lead_unit else NO_UNIT, now),
        "by_region": _grouped(tickets, lambda t: t.region_code or NO_VALUE, now),
        "by_category": _grouped(tickets, lambda t: t.category or NO_VALUE, now),
        "by_period": _grouped(tickets, lambda t: period_key(t.received_at, period), now),
    }
