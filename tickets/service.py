"""Service functions of the tickets package. Keyword-only; they flush, the caller commits.

The lifecycle is ONE table, ``TRANSITIONS``: for each action, the statuses it may start from,
the status it leads to (None: the status stays, the act is recorded) and the roles that may take
it. Everything a transition needs is checked before anything is changed, so a refused action
leaves the ticket as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from kb import service as kb_service
from kb.db import utcnow
from tickets import sla
from tickets.calendar import WorkCalendar, default_calendar
from tickets.errors import (
    ExtensionRefused,
    IdempotencyConflict,
    InvalidTicketInput,
    NotYourTicket,
    StaleTicketVersion,
    TicketNotFound,
    TransitionNotAllowed,
    UnitNotFound,
)
from tickets.models import CalendarOverride, Callback, Extension, Ticket, TicketEvent, TicketToken, Unit
from tickets.privacy import mask_phone, mask_text
from tickets.schemas import ActionIn, RatingIn, TicketCreate

log = logging.getLogger("lianxin.tickets")

HOTLINE = frozenset({"agent", "admin"})
SUPERVISORS = frozenset({"manager", "admin"})
UNIT = frozenset({"unit_user", "admin"})
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays; the act is recorded (催办, progress report...)
    roles: frozenset[str]
    summary: str


def _t(sources: Sequence[str], target: str | None, roles: frozenset[str], summary: str) -> Transition:
    return Transition(frozenset(sources), target, roles | {SYSTEM}, summary)


# statuses in which a unit or the hotline still owes the caller something
ACTIVE = ("received", "dispatched", "sent_back", "consulting", "signed", "in_progress", "reopened")
WITH_UNIT = ("signed", "in_progress")

TRANSITIONS: dict[str, Transition] = {
    "direct_answer": _t(["received"], "direct_answered", HOTLINE, "answer at once from the knowledge base"),
    "dispatch": _t(
        ["received", "sent_back", "reopened", "consulting"],
        "dispatched",
        HOTLINE,
        "send to a lead unit (派单)",
    ),
    "sign": _t(["dispatched"], "signed", UNIT, "the lead unit accepts the ticket (签收)"),
    "send_back": _t(["dispatched"], "sent_back", UNIT, "the lead unit returns it with a reason (退单)"),
    "consult": _t(["sent_back"], "consulting", HOTLINE, "joint consultation when no unit accepts (会商)"),
    "start": _t(["signed"], "in_progress", UNIT, "the unit starts handling it"),
    "progress": _t(WITH_UNIT, None, UNIT, "report handling or progress (emergency feedback)"),
    "reply": _t(["in_progress"], "replied", UNIT, "finished: the unit's reply to the caller (办结)"),
    "request_extension": _t(WITH_UNIT, None, UNIT, "ask for more working days (延期申请)"),
    "approve_extension": _t(WITH_UNIT, None, SUPERVISORS | HOTLINE, "grant the pending extension"),
    "deny_extension": _t(WITH_UNIT, None, SUPERVISORS | HOTLINE, "refuse the pending extension"),
    "callback": _t(["replied"], "callback", HOTLINE, "call the caller back (回访)"),
    "close": _t(["direct_answered", "callback"], "closed", HOTLINE, "close the ticket"),
    "reopen": _t(["callback"], "reopened", HOTLINE, "the caller is dissatisfied: round again (重办)"),
    "merge": _t(
        ["received", "dispatched", "sent_back", "consulting", "reopened"],
        "merged",
        HOTLINE,
        "a duplicate joins a master",
    ),
    "supervise": _t(ACTIVE, None, SUPERVISORS, "supervise the ticket (督办)"),
    "remind": _t(ACTIVE, None, HOTLINE | SUPERVISORS, "remind the unit (催办)"),
}
STATUSES = (
    "received", "direct_answered", "dispatched", "sent_back", "consulting", "signed",
    "in_progress", "replied", "callback", "reopened", "closed", "merged",
)  # fmt: skip
# actions a unit_user takes only on tickets led by its unit; "progress" is open to assisting units too
LEAD_ONLY = frozenset({"sign", "send_back", "start", "reply", "request_extension"})

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,127}$")


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    """Actions the table allows from ``status`` (for ``role`` when given), in table order."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources and (role is None or role in t.roles)]


# ---------------------------------------------------------------- calendar


def calendar(*, session: Session) -> WorkCalendar:
    """The official calendar with the admins' overrides."""
    overrides = {o.day: o.workday for o in session.scalars(select(CalendarOverride))}
    return default_calendar(overrides)


def set_calendar_override(
    *, session: Session, day: date, workday: bool, note: str = "", actor: str = "admin"
) -> CalendarOverride:
    """Declare ``day`` a working day or a day off (a later year's notice, a local arrangement)."""
    row = session.get(CalendarOverride, day)
    if row is None:
        row = CalendarOverride(day=day, workday=workday, note=note, created_by=actor)
        session.add(row)
    else:
        row.workday, row.note, row.created_by = workday, note, actor
    session.flush()
    return row


def list_calendar_overrides(*, session: Session) -> list[CalendarOverride]:
    """Every override, by date."""
    return list(session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


# ---------------------------------------------------------------- units


def get_unit(*, session: Session, unit_id: int) -> Unit | None:
    """The unit with that id, or None."""
    return session.get(Unit, unit_id)


def require_unit(*, session: Session, unit_id: int) -> Unit:
    """The active unit with that id, or UnitNotFound with a hint."""
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise UnitNotFound(f"unknown unit {unit_id}: GET /tickets/units lists the units you can dispatch to")
    return unit


def get_units(
    *, session: Session, department: str | None = None, region_code: str | None = None
) -> list[Unit]:
    """Active units, optionally of one department and/or serving one region."""
    q = select(Unit).where(Unit.active.is_(True)).order_by(Unit.region_code, Unit.id)
    if department:
        q = q.where(Unit.department == department)
    if region_code:
        q = q.where(Unit.region_code == region_code)
    return list(session.scalars(q))


def create_unit(
    *, session: Session, name: str, department: str, region_code: str, kind: str = "department"
) -> Unit:
    """Add a unit (or return the one of that name)."""
    kb_service.require_region(session=session, code=region_code)
    unit = session.scalars(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name, department=department, region_code=region_code, kind=kind)
        session.add(unit)
        session.flush()
    return unit


def find_unit(*, session: Session, department: str, region_code: str | None) -> Unit | None:
    """The unit of a generic ``department`` that serves the asker's region.

    Walks up the region chain, most specific first: an asker in 麦积区 (620503) asking for
    市住房和城乡建设局 gets 天水市住房和城乡建设局 (620500) unless 麦积区 has its own unit.
    Without a region only a province-level unit qualifies.

    >>> # find_unit(session=s, department="市住房和城乡建设局", region_code="620503").name
    >>> # '天水市住房和城乡建设局'
    """
    if region_code:
        chain = kb_service.region_chain(session=session, code=region_code)
    else:
        chain = [r.code for r in kb_service.list_regions(session=session) if r.parent_code is None]
    units = get_units(session=session, department=department.strip())
    by_region: dict[str, Unit] = {}
    for u in units:
        by_region.setdefault(u.region_code, u)
    for code in chain:
        if code in by_region:
            return by_region[code]
    return None


def _demo_departments() -> dict[str, Any]:
    return json.loads(resources.files("tickets").joinpath("data/departments.json").read_text("utf-8"))


def _unit_name(city: str, department: str) -> tuple[str, str]:
    if department == "供电公司":
        return f"国网{city.removesuffix('市')}供电公司", "enterprise"
    if department == "区县人民政府":
        return f"{city}区县人民政府", "government"
    return city + department.removeprefix("市"), "department"


def seed_demo_units(*, session: Session) -> int:
    """Add a unit for each of the 22 departments in 兰州市 and 天水市 (idempotent); returns how many were added."""
    data = _demo_departments()
    added = 0
    for code in data["demo_regions"]:
        region = kb_service.require_region(session=session, code=code)
        for dept in data["departments"]:
            name, kind = _unit_name(region.name, dept)
            if session.scalars(select(Unit.id).where(Unit.name == name)).first() is None:
                session.add(Unit(name=name, department=dept, region_code=code, kind=kind))
                added += 1
    session.flush()
    return added


# ---------------------------------------------------------------- tickets: reading


def get(*, session: Session, ticket_id: int) -> Ticket | None:
    """The ticket with that id, or None."""
    return session.get(Ticket, ticket_id)


def require(*, session: Session, ticket_id: int) -> Ticket:
    """The ticket with that id, or TicketNotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}: check the number (GET /tickets lists yours)")
    return ticket


def get_by_token(*, session: Session, token: str) -> Ticket | None:
    """The ticket a citizen's token opens, or None."""
    row = session.get(TicketToken, _hash(token))
    return session.get(Ticket, row.ticket_id) if row else None


def pending_stages(t: Ticket) -> list[str]:
    """Stages whose deadline is still running (not met yet)."""
    out = []
    if t.status in ("received", "sent_back", "reopened"):
        out.append("dispatch")
    if t.status == "dispatched":
        out.append("sign")
    if t.status in ("dispatched", *WITH_UNIT):
        if t.urgent and t.progress_reports < 1:
            out.append("feedback")
        if t.urgent and t.progress_reports < 2:
            out.append("progress")
        out.append("finish")
    return out


def overdue_stages(t: Ticket, now: datetime) -> list[str]:
    """Stages whose deadline passed before ``now`` without being met."""
    dues = {"dispatch": t.dispatch_due, "sign": t.sign_due, "feedback": t.feedback_due,
            "progress": t.progress_due, "finish": t.finish_due}  # fmt: skip
    return [s for s in pending_stages(t) if dues[s] is not None and now > dues[s]]  # type: ignore[operator]


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL for "some running deadline has passed": the same rule as ``overdue_stages``."""
    unit_open = Ticket.status.in_(("dispatched", *WITH_UNIT))
    return or_(
        and_(Ticket.status.in_(("received", "sent_back", "reopened")), Ticket.dispatch_due < now),
        and_(Ticket.status == "dispatched", Ticket.sign_due < now),
        and_(unit_open, Ticket.urgent.is_(True), Ticket.progress_reports < 1, Ticket.feedback_due < now),
        and_(unit_open, Ticket.urgent.is_(True), Ticket.progress_reports < 2, Ticket.progress_due < now),
        and_(unit_open, Ticket.finish_due < now),
    )


def get_all(
    *,
    session: Session,
    unit_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    region_codes: Sequence[str] | None = None,
    include_unscoped: bool = False,
    category: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Ticket], int]:
    """A page of tickets (newest first) and the total; ``unit_id`` matches lead or assisting units.

    With ``region_codes``, tickets of those regions, plus those without a region if ``include_unscoped``.
    """
    q = select(Ticket)
    if unit_id is not None:
        assisted = select(Ticket.id).join(Ticket.assisting_units).where(Unit.id == unit_id)
        q = q.where(or_(Ticket.lead_unit_id == unit_id, Ticket.id.in_(assisted)))
    if status:
        if status not in STATUSES:
            raise InvalidTicketInput(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        q = q.where(Ticket.status == status)
    if overdue is not None:
        # coalesce: a NULL deadline must read as "not late", or NOT(...) would drop the row too
        cond = func.coalesce(or_(Ticket.overdue.is_(True), overdue_condition(utcnow())), False)
        q = q.where(cond if overdue else ~cond)
    if region_codes is not None:
        in_regions = Ticket.region_code.in_(list(region_codes))
        q = q.where(or_(in_regions, Ticket.region_code.is_(None)) if include_unscoped else in_regions)
    if category:
        q = q.where(Ticket.category == category)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = session.scalars(
        q.order_by(Ticket.received_at.desc(), Ticket.id.desc()).offset(offset).limit(limit)
    )
    return list(items), total


# ---------------------------------------------------------------- tickets: creation


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _request_hash(ticket_in: TicketCreate) -> str:
    body = ticket_in.model_dump(exclude={"idempotency_key"}, mode="json")
    return _hash(json.dumps(body, sort_keys=True, ensure_ascii=False))


def _transcript(value: list[dict[str, Any]] | str | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "transcript", "content": mask_text(value)}]
    return [{k: mask_text(v) if isinstance(v, str) else v for k, v in turn.items()} for turn in value]


def issue_token(*, session: Session, ticket: Ticket) -> str:
    """A new citizen token for ``ticket`` (returned once; only its hash is stored)."""
    token = secrets.token_urlsafe(24)
    session.add(TicketToken(token_hash=_hash(token), ticket_id=ticket.id))
    session.flush()
    return token


def create_with_token(*, session: Session, ticket_in: TicketCreate, actor: str) -> tuple[Ticket, str, bool]:
    """Create a ticket (or replay the one its idempotency key made): (ticket, citizen token, replayed).

    The same key with the same request returns the same ticket, even when two retries race;
    the same key with a different request is an IdempotencyConflict.
    """
    key = ticket_in.idempotency_key
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InvalidTicketInput(
            "malformed idempotency key: use 8-128 characters of letters, digits, '_', '-', '.', ':' "
            "(a UUID works), the same one for every retry of one request",
            extra={"field": "idempotency_key"},
        )
    digest = _request_hash(ticket_in)
    if key is not None:
        existing = _by_key(session, key, digest)
        if existing is not None:
            return existing, issue_token(session=session, ticket=existing), True
    if ticket_in.region_code:
        kb_service.require_region(session=session, code=ticket_in.region_code)
    now = utcnow()
    ticket = Ticket(
        channel=ticket_in.channel,
        caller_name=ticket_in.caller_name,
        caller_phone=ticket_in.caller_phone,
        caller_phone_masked=mask_phone(ticket_in.caller_phone),
        content=mask_text(ticket_in.content),
        transcript=_transcript(ticket_in.transcript),
        suggestion={
            **ticket_in.suggestion,
            **({"department": ticket_in.department} if ticket_in.department else {}),
        },
        region_code=ticket_in.region_code,
        category=ticket_in.category,
        urgent=ticket_in.urgent,
        status="received",
        idempotency_key=key,
        request_hash=digest,
        created_by=actor,
        received_at=now,
        dispatch_due=sla.dispatch_due(now, urgent=ticket_in.urgent),
        overdue_stages=[],
    )
    ticket.events.append(
        TicketEvent(at=now, actor=actor, action="create", to_status="received", note=ticket_in.channel)
    )
    if key is None:
        session.add(ticket)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()
        except IntegrityError:
            # a concurrent retry with the same key won the insert: answer with its ticket
            existing = _by_key(session, key, digest)
            if existing is None:
                raise
            return existing, issue_token(session=session, ticket=existing), True
    log.info(
        "ticket %s created by %s via %s, caller %s",
        ticket.id,
        actor,
        ticket.channel,
        ticket.caller_phone_masked,
    )
    return ticket, issue_token(session=session, ticket=ticket), False


def _by_key(session: Session, key: str, digest: str) -> Ticket | None:
    existing = session.scalars(select(Ticket).where(Ticket.idempotency_key == key)).first()
    if existing is not None and existing.request_hash != digest:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request (ticket {existing.id}): "
            "use a new key for a new ticket",
            extra={"ticket_id": existing.id},
        )
    return existing


def create(*, session: Session, ticket_in: TicketCreate, actor: str) -> Ticket:
    """Create a ticket in status ``received`` (or return the one its idempotency key already made)."""
    return create_with_token(session=session, ticket_in=ticket_in, actor=actor)[0]


# ---------------------------------------------------------------- tickets: transitions


def check_access(ticket: Ticket, *, role: str, unit_id: int | None, action: str | None = None) -> None:
    """NotYourTicket unless a unit user's unit leads (or, for reading and progress, assists) the ticket."""
    if role != "unit_user":
        return
    lead = ticket.lead_unit_id is not None and ticket.lead_unit_id == unit_id
    assists = any(u.id == unit_id for u in ticket.assisting_units)
    ok = lead if action in LEAD_ONLY else lead or assists
    if not ok:
        who = "led by" if action in LEAD_ONLY else "assigned to"
        raise NotYourTicket(
            f"ticket {ticket.id} is not {who} your unit: you can act only on your unit's tickets; "
            "ask the hotline to re-dispatch it if it is yours",
            extra={"ticket_id": ticket.id},
        )


def act(
    *,
    session: Session,
    ticket_id: int,
    action: str,
    data: ActionIn,
    actor: str,
    role: str,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Apply ``action`` to the ticket at the version the caller saw; see ``TRANSITIONS``."""
    if action not in TRANSITIONS:
        raise InvalidTicketInput(
            f"unknown action {action!r}: use one of {', '.join(TRANSITIONS)}",
            extra={"actions": list(TRANSITIONS)},
        )
    ticket = require(session=session, ticket_id=ticket_id)
    check_access(ticket, role=role, unit_id=unit_id, action=action)
    if data.version != ticket.version:
        raise StaleTicketVersion(
            f"ticket {ticket.id} changed since you read it (you sent version {data.version}, it is at "
            f"{ticket.version}): reload it and try again",
            extra={"current_version": ticket.version, "status": ticket.status},
        )
    rule = TRANSITIONS[action]
    if ticket.status not in rule.sources:
        allowed = allowed_actions(ticket.status)
        raise TransitionNotAllowed(
            f"cannot {action} a ticket that is {ticket.status}: allowed now: {', '.join(allowed) or 'nothing (final)'}",
            extra={"status": ticket.status, "allowed_actions": allowed},
        )
    if role not in rule.roles:
        raise NotYourTicket(
            f"role {role!r} may not {action}: it is for {', '.join(sorted(rule.roles - {SYSTEM}))}",
            extra={"allowed_roles": sorted(rule.roles - {SYSTEM})},
        )
    now = now or utcnow()
    cal = calendar(session=session)
    apply = _prepare(session, ticket, action, data, actor, now, cal)
    before = ticket.status
    with session.no_autoflush:  # one UPDATE per transition: the version moves by exactly one
        apply()
        # every transition bumps the version, even one that only adds a row (an extension request)
        ticket.updated_at = now
        flag_modified(ticket, "updated_at")
        if rule.target is not None:
            ticket.status = rule.target
        _record(
            session,
            ticket,
            TicketEvent(
                at=now,
                actor=actor,
                action=action,
                from_status=before,
                to_status=ticket.status,
                note=mask_text(data.note or data.reason or ""),
                unit_id=unit_id,
                data=_event_data(data),
            ),
        )
    _flush(session, ticket)
    return ticket


def _record(session: Session, ticket: Ticket, event: TicketEvent) -> None:
    """Add an event without loading the whole history (a loaded history gets it appended)."""
    if "events" in ticket.__dict__:
        ticket.events.append(event)
    else:
        event.ticket_id = ticket.id
        session.add(event)


def _flush(session: Session, ticket: Ticket) -> None:
    ticket_id = ticket.id  # read before the flush: a failed flush expires the object
    try:
        session.flush()
    except StaleDataError as exc:
        # another transaction moved the row between our read and our UPDATE ... WHERE version = ?
        raise StaleTicketVersion(
            f"ticket {ticket_id} was changed by someone else at the same moment: reload it and try again"
        ) from exc


def _event_data(data: ActionIn) -> dict[str, Any]:
    keep = (
        "unit_id",
        "department",
        "assisting_unit_ids",
        "days",
        "extension_id",
        "master_id",
        "satisfied",
        "resolved",
    )
    return {k: v for k, v in data.model_dump(include=set(keep)).items() if v not in (None, [])}


def _prepare(
    session: Session, t: Ticket, action: str, data: ActionIn, actor: str, now: datetime, cal: WorkCalendar
) -> Any:
    """Validate ``action`` fully and return the function that applies it (so refusals change nothing)."""
    if action == "dispatch":
        lead = _dispatch_target(session, t, data)
        assisting = [require_unit(session=session, unit_id=u) for u in dict.fromkeys(data.assisting_unit_ids)]
        for unit in assisting:
            _check_serves(session, t, unit, "assisting")
        if any(u.id == lead.id for u in assisting):
            raise InvalidTicketInput(f"unit {lead.id} cannot both lead and assist: list it once")

        def do_dispatch() -> None:
            deadlines = sla.on_dispatch(now, urgent=t.urgent, calendar=cal)
            t.lead_unit, t.assisting_units = lead, assisting
            t.first_dispatched_at = t.first_dispatched_at or now
            t.dispatched_at = now
            t.signed_at = t.feedback_at = t.progress_at = t.replied_at = None
            t.progress_reports = 0
            t.reply, t.replied_on_time = None, None
            t.sign_due, t.finish_due = deadlines.sign, deadlines.finish
            t.feedback_due, t.progress_due = deadlines.feedback, deadlines.progress

        return do_dispatch
    if action == "send_back":
        if not (data.reason or "").strip():
            raise InvalidTicketInput("a send-back needs a reason: say why this is not your unit's matter")

        def do_send_back() -> None:
            t.send_back_count += 1
            t.sent_back_at = now
            t.dispatch_due = sla.redispatch_due(now)

        return do_send_back
    if action == "consult":

        def do_consult() -> None:
            t.consultation = True
            t.dispatch_due = None

        return do_consult
    if action == "sign":
        return lambda: setattr(t, "signed_at", now)
    if action == "progress":

        def do_progress() -> None:
            t.progress_reports += 1
            t.feedback_at = t.feedback_at or now
            t.progress_at = now

        return do_progress
    if action == "reply":
        text = (data.reply or data.note or "").strip()
        if not text:
            raise InvalidTicketInput("a reply needs its text: send 'reply' with the answer for the caller")

        def do_reply() -> None:
            t.reply = text
            t.replied_at = now
            t.replied_on_time = t.finish_due is None or now <= t.finish_due
            for x in t.extensions:  # a reply makes a pending request moot; a reopened round starts clean
                if x.status == "pending":
                    x.status, x.decided_at, x.decided_by = "withdrawn", now, actor

        return do_reply
    if action == "request_extension":
        return _prepare_extension(t, data, actor, now, cal)
    if action in ("approve_extension", "deny_extension"):
        return _prepare_decision(t, action, data, actor, now, cal)
    if action == "merge":
        master = _merge_master(session, t, data)
        return lambda: setattr(t, "master_id", master.id)
    if action == "direct_answer":
        text = (data.reply or data.note or "").strip()
        if not text:
            raise InvalidTicketInput(
                "a direct answer needs its text: send 'reply' with what the caller was told"
            )

        def do_direct() -> None:
            t.reply, t.direct_answered_at = text, now

        return do_direct
    if action == "close":
        return lambda: setattr(t, "closed_at", now)
    if action == "reopen":
        return lambda: setattr(t, "dispatch_due", sla.redispatch_due(now))
    if action == "supervise":
        return lambda: setattr(t, "supervised", True)
    if action == "remind":

        def do_remind() -> None:
            t.reminder_count += 1

        return do_remind
    return lambda: None  # start, callback: the status change is all


def _check_serves(session: Session, t: Ticket, unit: Unit, role: str) -> None:
    """InvalidTicketInput unless ``unit`` serves the ticket's region (same region, above or below it).

    A unit of another city would see a caller's ticket it has no business with.
    """
    if t.region_code is None or unit.region_code == t.region_code:
        return
    near = set(kb_service.region_chain(session=session, code=t.region_code))
    near |= kb_service.region_subtree(session=session, code=t.region_code)
    if unit.region_code not in near:
        raise InvalidTicketInput(
            f"unit {unit.id} ({unit.name}) serves region {unit.region_code}, not this ticket's region "
            f"{t.region_code}: choose a unit of {t.region_code} or above it (GET /tickets/units?region=...)",
            extra={"unit_region": unit.region_code, "ticket_region": t.region_code, "unit_role": role},
        )


def _dispatch_target(session: Session, t: Ticket, data: ActionIn) -> Unit:
    if data.unit_id is not None:
        chosen = require_unit(session=session, unit_id=data.unit_id)
        _check_serves(session, t, chosen, "lead")
        return chosen
    department = data.department or (t.suggestion or {}).get("department")
    if not department:
        raise InvalidTicketInput(
            "dispatch needs a lead unit: send unit_id, or department to resolve by region"
        )
    unit = find_unit(session=session, department=department, region_code=t.region_code)
    if unit is None:
        raise UnitNotFound(
            f"no unit of {department} serves region {t.region_code or '(none)'}: send unit_id, or add the unit",
            extra={"department": department, "region_code": t.region_code},
        )
    return unit


def _merge_master(session: Session, t: Ticket, data: ActionIn) -> Ticket:
    if data.master_id is None:
        raise InvalidTicketInput("merge needs master_id: the ticket this duplicate joins")
    if data.master_id == t.id:
        raise InvalidTicketInput("a ticket cannot be merged into itself: give another master_id")
    master = require(session=session, ticket_id=data.master_id)
    if master.status == "merged":
        raise InvalidTicketInput(
            f"ticket {master.id} is itself merged into {master.master_id}: merge into that one instead"
        )
    return master


def _prepare_extension(t: Ticket, data: ActionIn, actor: str, now: datetime, cal: WorkCalendar) -> Any:
    if data.days is None or not (data.reason or "").strip():
        raise InvalidTicketInput("an extension request needs days (working days) and a reason")
    if any(x.status == "pending" for x in t.extensions):
        raise ExtensionRefused(
            "an extension request is already pending: wait for the hotline's decision",
            extra={"rule": "one_pending"},
        )
    if t.finish_due is None:
        raise ExtensionRefused("this ticket has no finish deadline to extend")
    used = sum(1 for x in t.extensions if x.status in ("pending", "approved"))
    sla.check_extension(now=now, due=t.finish_due, days=data.days, used=used, calendar=cal)

    def do_request() -> None:
        t.extensions.append(
            Extension(
                requested_at=now, requested_by=actor, days=data.days, reason=(data.reason or "").strip()
            )
        )

    return do_request


def _prepare_decision(
    t: Ticket, action: str, data: ActionIn, actor: str, now: datetime, cal: WorkCalendar
) -> Any:
    pending = [x for x in t.extensions if x.status == "pending"]
    if data.extension_id is not None:
        pending = [x for x in pending if x.id == data.extension_id]
    if not pending:
        raise ExtensionRefused("no pending extension request on this ticket: nothing to decide")
    ext = pending[0]

    def do_decide() -> None:
        ext.decided_at, ext.decided_by = now, actor
        if action == "deny_extension":
            ext.status = "denied"
            return
        assert t.finish_due is not None
        ext.status = "approved"
        ext.old_due = t.finish_due
        ext.new_due = sla.extended(t.finish_due, ext.days, cal)
        t.finish_due = ext.new_due
        t.extension_count += 1

    return do_decide


def rate(
    *, session: Session, ticket_id: int, rating: RatingIn, actor: str, now: datetime | None = None
) -> Ticket:
    """Record the caller's callback answer: satisfied closes the ticket, dissatisfied reopens it."""
    ticket = require(session=session, ticket_id=ticket_id)
    if rating.version is not None and rating.version != ticket.version:
        raise StaleTicketVersion(
            f"ticket {ticket.id} changed since you read it: reload it (version {ticket.version}) and rate again",
            extra={"current_version": ticket.version},
        )
    if ticket.status not in ("replied", "callback"):
        raise TransitionNotAllowed(
            f"a ticket that is {ticket.status} cannot be rated: rating opens once the unit has replied",
            extra={"status": ticket.status, "allowed_actions": allowed_actions(ticket.status)},
        )
    now = now or utcnow()
    ticket.callbacks.append(
        Callback(
            at=now,
            satisfied=rating.satisfied,
            resolved=rating.resolved,
            comment=mask_text(rating.comment),
            by=actor,
        )
    )
    if ticket.status == "replied":
        act(session=session, ticket_id=ticket.id, action="callback", data=ActionIn(version=ticket.version),
            actor=actor, role=SYSTEM, now=now)  # fmt: skip
    final = "close" if rating.satisfied else "reopen"
    note = f"caller {'satisfied' if rating.satisfied else 'dissatisfied'}"
    return act(session=session, ticket_id=ticket.id, action=final, data=ActionIn(version=ticket.version, note=note),
               actor=actor, role=SYSTEM, now=now)  # fmt: skip


def reveal_phone(*, session: Session, ticket_id: int, actor: str) -> str | None:
    """The caller's full number for the callback; each reveal is written to the audit trail."""
    ticket = require(session=session, ticket_id=ticket_id)
    event = TicketEvent(at=utcnow(), actor=actor, action="reveal_phone", from_status=ticket.status,
                        to_status=ticket.status, note="full caller number shown for a callback")  # fmt: skip
    _record(session, ticket, event)
    session.flush()
    return ticket.caller_phone


# ---------------------------------------------------------------- overdue sweep


@dataclass
class SweepReport:
    checked: int
    marked: int
    reminders: int
    tickets: list[int]


def sweep(*, session: Session, now: datetime | None = None, limit: int = 500) -> SweepReport:
    """Mark tickets whose running deadlines passed: one 催办 reminder per ticket and sweep, naming its newly late stages.

    Rows are locked with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL), so several workers may
    sweep at once: each ticket is handled by one of them. SQLite serialises writers anyway.
    """
    now = now or utcnow()
    q = (
        select(Ticket)
        .where(Ticket.status.in_(ACTIVE), overdue_condition(now))
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(q))
    marked, reminders, ids = 0, 0, []
    for t in rows:
        late = [s for s in overdue_stages(t, now) if s not in (t.overdue_stages or [])]
        if not late:
            continue
        t.overdue_stages = [*(t.overdue_stages or []), *late]
        t.overdue = True
        t.reminder_count += 1
        _record(
            session,
            t,
            TicketEvent(
                at=now, actor=SYSTEM, action="remind", from_status=t.status, to_status=t.status,
                note=f"overdue: {', '.join(late)}", data={"overdue": late},
            )
        )  # fmt: skip
        marked += 1
        reminders += 1
        ids.append(t.id)
    session.flush()
    if ids:
        log.info("sweep marked %d overdue tickets", len(ids))
    return SweepReport(checked=len(rows), marked=marked, reminders=reminders, tickets=ids)
