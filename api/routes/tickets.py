"""Ticket (工单) routes: agents create and dispatch, units handle, managers supervise and read
KPIs, citizens follow and rate their own ticket with the token they got at creation."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Response
from sqlalchemy.exc import SQLAlchemyError

from api import errors
from api.auth import Principal, check_ticket_region, sees_unscoped_tickets, ticket_scope
from api.deps import SessionDep, current_principal, require_role
from kb import service as kb_service
from kb.db import transaction, utcnow
from kb.errors import PermissionDenied
from tickets import errors as te
from tickets import kpi as kpi_mod
from tickets import service
from tickets.calendar import parse_date, parse_start
from tickets.models import Ticket
from tickets.schemas import (
    ActionIn,
    RatingIn,
    TicketCreate,
    TicketCreated,
    TicketPage,
    TicketPublic,
    TicketRead,
    UnitCreate,
    UnitRead,
)

log = logging.getLogger("lianxin.tickets")

for exc_type, status in (
    (te.TicketNotFound, 404),
    (te.UnitNotFound, 422),
    (te.TransitionNotAllowed, 409),
    (te.StaleTicketVersion, 409),
    (te.IdempotencyConflict, 409),
    (te.ExtensionRefused, 422),
    (te.InvalidTicketInput, 422),
    (te.CalendarError, 422),
    (te.NotYourTicket, 403),
    (te.TicketError, 400),
):
    errors.register(exc_type, status)

router = APIRouter(tags=["tickets"])

STAFF = ("agent", "manager", "unit_user", "admin")
Staff = Annotated[Principal, Depends(require_role(*STAFF))]
Creator = Annotated[Principal, Depends(require_role("agent", "admin", "citizen"))]
Supervisor = Annotated[Principal, Depends(require_role("agent", "manager", "admin"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
TicketToken = Annotated[
    str | None, Header(alias="X-Ticket-Token", description="the citizen token from creation")
]


def optional_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal | None:
    """The principal when credentials are sent; None lets a citizen come with a ticket token only."""
    if not authorization and not x_api_key:
        return None
    return current_principal(session, authorization, x_api_key)


MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def _read(session: SessionDep, t: Ticket, principal: Principal, *, detail: bool = False) -> TicketRead:
    return TicketRead.of(
        t,
        overdue_now=service.overdue_stages(t, utcnow()),
        allowed=service.allowed_actions(t.status),
        detail=detail,
    )


def _visible(session: SessionDep, principal: Principal, ticket_id: int) -> Ticket:
    """The ticket if the principal may see it: its unit's for unit users, its region's for others."""
    t = service.require(session=session, ticket_id=ticket_id)
    if principal.role == "unit_user":
        service.check_access(t, role=principal.role, unit_id=principal.unit_id)
    elif principal.role != "admin":
        check_ticket_region(session, principal, t.region_code)
    return t


def _citizen_ticket(session: SessionDep, ticket_id: int, token: str | None) -> Ticket | None:
    if not token:
        return None
    t = service.get_by_token(session=session, token=token)
    if t is None or t.id != ticket_id:
        raise PermissionDenied(
            "this ticket token does not open that ticket: use the token you got when you reported it"
        )
    return t


# ---------------------------------------------------------------- units


@router.get("/tickets/units", response_model=list[UnitRead])
def list_units(
    session: SessionDep, principal: Staff, department: str | None = None, region: str | None = None
) -> list[UnitRead]:
    """Units tickets can be dispatched to."""
    units = service.get_units(session=session, department=department, region_code=region)
    return [UnitRead.model_validate(u) for u in units]


@router.post("/tickets/units", response_model=UnitRead, status_code=201)
def create_unit(unit_in: UnitCreate, session: SessionDep, principal: Admin) -> UnitRead:
    return UnitRead.model_validate(service.create_unit(session=session, **unit_in.model_dump()))


# ---------------------------------------------------------------- tickets


@router.post("/tickets", response_model=TicketCreated, status_code=201)
def create_ticket(
    ticket_in: TicketCreate,
    session: SessionDep,
    principal: Creator,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> TicketCreated:
    """Register a ticket. Retries with the same ``Idempotency-Key`` get the same ticket (200)."""
    if idempotency_key is not None:
        ticket_in = ticket_in.model_copy(update={"idempotency_key": idempotency_key})
    if principal.role != "citizen":  # staff register tickets of their own region; citizens anywhere
        check_ticket_region(session, principal, ticket_in.region_code)
    ticket, token, replayed = service.create_with_token(
        session=session, ticket_in=ticket_in, actor=principal.name
    )
    if replayed:
        response.status_code = 200
    return TicketCreated(ticket=_read(session, ticket, principal), citizen_token=token, replayed=replayed)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    session: SessionDep,
    principal: Staff,
    unit: Annotated[int | None, Query(description="lead or assisting unit id")] = None,
    status: str | None = None,
    overdue: bool | None = None,
    category: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketPage:
    """Tickets the caller may see: a unit user its unit's, others their region's."""
    codes: list[str] | None = None
    unscoped = True
    if principal.role == "unit_user":
        if unit not in (None, principal.unit_id):
            raise PermissionDenied(
                f"you see only your unit's tickets (unit {principal.unit_id}), not unit {unit}'s"
            )
        unit = principal.unit_id if principal.unit_id is not None else -1
    elif (scope := ticket_scope(session, principal)) is not None:
        codes, unscoped = sorted(scope), sees_unscoped_tickets(session, principal)
    items, total = service.get_all(
        session=session, unit_id=unit, status=status, overdue=overdue, region_codes=codes,
        include_unscoped=unscoped, category=category, offset=offset, limit=limit,
    )  # fmt: skip
    return TicketPage(
        items=[_read(session, t, principal) for t in items], total=total, offset=offset, limit=limit
    )


@router.get("/tickets/{ticket_id}", response_model=TicketRead | TicketPublic)
def read_ticket(
    ticket_id: int, session: SessionDep, principal: MaybeUser, token: TicketToken = None
) -> TicketRead | TicketPublic:
    """A ticket with its status, ``deadlines`` (ISO times), history and callbacks.

    Staff send their credentials; a citizen sends ``X-Ticket-Token`` and sees the public view.
    """
    if principal is None or principal.role == "citizen":
        t = _citizen_ticket(session, ticket_id, token)
        if t is None:
            raise PermissionDenied(
                "send X-Ticket-Token (the token you got when you reported it) or staff credentials"
            )
        return TicketPublic.of(t)
    if principal.role not in STAFF:
        raise PermissionDenied(f"role {principal.role!r} may not read tickets")
    return _read(session, _visible(session, principal, ticket_id), principal, detail=True)


@router.get("/tickets/{ticket_id}/caller-phone")
def caller_phone(
    ticket_id: int,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_role("agent", "admin"))],
) -> dict[str, str | None]:
    """The caller's full number, for the hotline's callback only; every reveal is audited."""
    _visible(session, principal, ticket_id)
    return {"caller_phone": service.reveal_phone(session=session, ticket_id=ticket_id, actor=principal.name)}


@router.post("/tickets/{ticket_id}/rate", response_model=TicketPublic)
def rate_ticket(
    ticket_id: int, rating: RatingIn, session: SessionDep, principal: MaybeUser, token: TicketToken = None
) -> TicketPublic:
    """The caller's callback answer (satisfied closes, dissatisfied reopens); by citizen token or an agent."""
    if principal is not None and principal.role in ("agent", "admin"):
        _visible(session, principal, ticket_id)
        actor = principal.name
    elif _citizen_ticket(session, ticket_id, token) is not None:
        actor = "citizen"
    else:
        raise PermissionDenied(
            "rating needs X-Ticket-Token (the token from your report) or an agent's credentials"
        )
    return TicketPublic.of(service.rate(session=session, ticket_id=ticket_id, rating=rating, actor=actor))


@router.post("/tickets/{ticket_id}/{action}", response_model=TicketRead)
def ticket_action(
    ticket_id: int, action: str, data: ActionIn, session: SessionDep, principal: Staff
) -> TicketRead:
    """One lifecycle step (``tickets.service.TRANSITIONS``); ``version`` is the version you read."""
    if principal.role != "unit_user":
        _visible(session, principal, ticket_id)
        if action == "merge" and data.master_id is not None:
            _visible(session, principal, data.master_id)  # no merging into, or probing, another region's
    t = service.act(
        session=session, ticket_id=ticket_id, action=action, data=data,
        actor=principal.name, role=principal.role, unit_id=principal.unit_id,
    )  # fmt: skip
    return _read(session, t, principal, detail=True)


# ---------------------------------------------------------------- KPIs and calendar


@router.get("/kpi")
def kpi(
    session: SessionDep,
    principal: Supervisor,
    start: Annotated[date | None, Query(alias="from", description="first date, inclusive")] = None,
    end: Annotated[date | None, Query(alias="to", description="last date, exclusive")] = None,
    period: Annotated[str, Query(description="day | week | month")] = "month",
    region: str | None = None,
) -> dict[str, Any]:
    """直接答复率, 办结率, 按时办结率, 满意率, 退单率, dispatch time, overdue counts; by unit, region,
    category and period. Definitions: tickets/kpi.py."""
    if region:
        check_ticket_region(session, principal, region)
        codes: set[str] | None = kb_service.region_subtree(session=session, code=region)
    else:
        codes = ticket_scope(session, principal)
    return kpi_mod.compute(session=session, start=start, end=end, region_codes=codes, period=period)


@router.get("/calendar/add")
def calendar_add(session: SessionDep, start: str, n: Annotated[int, Query(ge=0, le=1000)]) -> dict[str, str]:
    """``{"due": ISO time}``: 23:59:59 Asia/Shanghai of the n-th working day after start's date."""
    due = service.calendar(session=session).add_working_days(parse_start(start), n)
    return {"due": due.isoformat()}


@router.get("/calendar/workday/{day}")
def calendar_workday(day: str, session: SessionDep) -> dict[str, Any]:
    d = parse_date(day)
    cal = service.calendar(session=session)
    return {"date": d.isoformat(), "workday": cal.is_workday(d), "official": cal.covers(d.year)}


@router.put("/calendar/overrides/{day}")
def calendar_override(
    day: str, session: SessionDep, principal: Admin, workday: bool, note: str = ""
) -> dict[str, Any]:
    """Admins: make a date a working day or a day off (a later year's notice, a local arrangement)."""
    row = service.set_calendar_override(
        session=session, day=parse_date(day), workday=workday, note=note, actor=principal.name
    )
    return {"date": row.day.isoformat(), "workday": row.workday, "note": row.note}


# ---------------------------------------------------------------- overdue sweep scheduler


async def start_sweeper(app: FastAPI) -> None:
    """Run the overdue sweep every LIANXIN_TICKETS_SWEEP_SECONDS (default 300; 0 turns it off)."""
    every = float(os.environ.get("LIANXIN_TICKETS_SWEEP_SECONDS", "300"))
    if every <= 0:
        return

    def once() -> None:
        with transaction(app.state.sessionmaker) as session:
            service.sweep(session=session)

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(once)
            except SQLAlchemyError:
                # a failed sweep is retried on the next tick; the rows it held stay unchanged
                log.exception("overdue sweep failed")

    task = asyncio.create_task(loop())
    app.state.closers.append(task.cancel)
