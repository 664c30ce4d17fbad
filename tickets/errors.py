"""Errors of the tickets package.

    TicketError
    ├── TicketNotFound          no ticket with that id (404)
    ├── UnitNotFound            a unit id or department/region that names no unit (422)
    ├── TransitionNotAllowed    the action is not allowed from the ticket's status (409, lists allowed actions)
    ├── StaleTicketVersion      the caller acted on an older version than the stored one (409)
    ├── IdempotencyConflict     an idempotency key reused with a different request (409)
    ├── ExtensionRefused        an extension too late, one too many, too long, or none pending (422)
    ├── InvalidTicketInput      input that breaks a rule (malformed idempotency key, missing reason...) (422)
    ├── CalendarError           a bad date or working-day count (422)
    └── NotYourTicket           the principal's unit or region does not cover the ticket (403)

Every message says what is wrong and what to do about it. ``extra`` (a dict) is merged into the
HTTP error body by api.errors.
"""

from __future__ import annotations

from typing import Any


class TicketError(Exception):
    """Base of all ticket errors."""

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.extra: dict[str, Any] = extra or {}


class TicketNotFound(TicketError):
    pass


class UnitNotFound(TicketError):
    pass


class TransitionNotAllowed(TicketError):
    pass


class StaleTicketVersion(TicketError):
    pass


class IdempotencyConflict(TicketError):
    pass


class ExtensionRefused(TicketError):
    pass


class InvalidTicketInput(TicketError):
    pass


class CalendarError(TicketError):
    pass


class NotYourTicket(TicketError):
    pass
