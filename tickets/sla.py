"""The SLA clock of the 12345 hotline: deadlines per stage and the extension rules.

Ordinary (non-consultation) tickets:
    dispatched within 1 hour of receipt; signed within 3 hours of dispatch;
    finished and replied within 5 working days of dispatch.
Emergency tickets:
    dispatched within 10 minutes; first feedback (the first progress report) within 3 hours of
    dispatch; a progress report within 3 working days; finished within 5 working days.
Sent-back tickets, and tickets reopened after a dissatisfied callback, are re-dispatched within
20 minutes (二次确权). Tickets in joint consultation
(会商) have no dispatch deadline: the units agree on the owner first.
Extensions: requested at least 2 working days before the finish deadline, at most 2 per ticket,
each at most 5 working days; an approved extension moves the finish deadline that many working
days past the current one.

"N working days after T" is WorkCalendar.add_working_days: 23:59:59 Asia/Shanghai of the N-th
working day after T's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.calendar import WorkCalendar
from tickets.errors import ExtensionRefused

DISPATCH_WITHIN = timedelta(hours=1)
EMERGENCY_DISPATCH_WITHIN = timedelta(minutes=10)
REDISPATCH_WITHIN = timedelta(minutes=20)
SIGN_WITHIN = timedelta(hours=3)
FEEDBACK_WITHIN = timedelta(hours=3)
PROGRESS_WORKING_DAYS = 3
FINISH_WORKING_DAYS = 5
EXTENSION_NOTICE_WORKING_DAYS = 2
MAX_EXTENSIONS = 2
MAX_EXTENSION_DAYS = 5

STAGES = ("dispatch", "sign", "feedback", "progress", "finish")


def dispatch_due(received_at: datetime, *, urgent: bool) -> datetime:
    """When a new ticket must be dispatched."""
    return received_at + (EMERGENCY_DISPATCH_WITHIN if urgent else DISPATCH_WITHIN)


def redispatch_due(sent_back_at: datetime) -> datetime:
    """When a sent-back ticket must be dispatched again."""
    return sent_back_at + REDISPATCH_WITHIN


@dataclass(frozen=True)
class UnitDeadlines:
    sign: datetime
    finish: datetime
    feedback: datetime | None = None
    progress: datetime | None = None


def on_dispatch(dispatched_at: datetime, *, urgent: bool, calendar: WorkCalendar) -> UnitDeadlines:
    """The unit's deadlines that start running when a ticket is dispatched."""
    return UnitDeadlines(
        sign=dispatched_at + SIGN_WITHIN,
        finish=calendar.add_working_days(dispatched_at, FINISH_WORKING_DAYS),
        feedback=dispatched_at + FEEDBACK_WITHIN if urgent else None,
        progress=calendar.add_working_days(dispatched_at, PROGRESS_WORKING_DAYS) if urgent else None,
    )


def check_extension(*, now: datetime, due: datetime, days: int, used: int, calendar: WorkCalendar) -> None:
    """ExtensionRefused unless an extension of ``days`` may be requested at ``now``.

    ``used`` counts the ticket's extensions that are approved or pending. "At least 2 working
    days before the due time" means 2 whole working days must remain after the request's date:
    due 10-14 23:59:59 (Tue) may be extended on Fri 10-10 but not on Mon 10-13.
    """
    if used >= MAX_EXTENSIONS:
        raise ExtensionRefused(
            f"this ticket already has {used} extensions: at most {MAX_EXTENSIONS} are allowed; "
            "finish it or ask the hotline to supervise (督办)",
            extra={"rule": "extension_limit", "max_extensions": MAX_EXTENSIONS},
        )
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ExtensionRefused(
            f"an extension is 1 to {MAX_EXTENSION_DAYS} working days, not {days}: request fewer days",
            extra={"rule": "extension_length", "max_days": MAX_EXTENSION_DAYS},
        )
    latest = calendar.add_working_days(now, EXTENSION_NOTICE_WORKING_DAYS)
    if latest > due:
        raise ExtensionRefused(
            f"too late: an extension must be requested at least {EXTENSION_NOTICE_WORKING_DAYS} working days "
            f"before the due time {due.isoformat()}; reply within the deadline instead",
            extra={"rule": "extension_notice", "due": due.isoformat()},
        )


def extended(due: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """The finish deadline after an approved extension of ``days`` working days."""
    return calendar.add_working_days(due, days)
