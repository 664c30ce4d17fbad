"""China's working-day calendar and the "N working days after T" rule of the SLA clock.

Working days follow the State Council's yearly holiday notices (tickets/data/cn_calendar.json,
2024-2026, each year naming its notice): a statutory holiday is a day off even on a weekday, a
make-up working day (调休上班) is a working day even on a weekend, every other day is Monday-Friday.
Admins extend the calendar with overrides (the ``ticket_calendar_overrides`` table), which win
over the bundled data. Years the data does not cover fall back to plain weekdays; ``covers``
tells callers so they can warn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tickets.errors import CalendarError

TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
# A guard, not a business rule: no SLA asks for more than a few months of working days.
MAX_WORKING_DAYS = 1000


@lru_cache(maxsize=1)
def bundled() -> dict[str, Any]:
    """The bundled calendar data (parsed once)."""
    return json.loads(resources.files("tickets").joinpath("data/cn_calendar.json").read_text("utf-8"))


def _days(start: date, end: date) -> Iterable[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


class WorkCalendar:
    """Which days are working days. ``overrides`` maps a date to True (work) or False (rest)."""

    def __init__(
        self,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        overrides: Mapping[date, bool] | None = None,
        years: Iterable[int] = (),
    ):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        clash = self.holidays & self.workdays
        if clash:
            raise CalendarError(f"dates listed both as holiday and as working day: {sorted(clash)}")
        self.overrides = dict(overrides or {})
        self.years = frozenset(years) | {d.year for d in self.overrides}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], overrides: Mapping[date, bool] | None = None) -> WorkCalendar:
        holidays: list[date] = []
        workdays: list[date] = []
        for year in data["years"].values():
            for span in year["holidays"]:
                holidays.extend(_days(date.fromisoformat(span["from"]), date.fromisoformat(span["to"])))
            workdays.extend(date.fromisoformat(d) for d in year["workdays"])
        return cls(
            holidays=holidays, workdays=workdays, overrides=overrides, years=(int(y) for y in data["years"])
        )

    def covers(self, year: int) -> bool:
        """True when the official arrangement of ``year`` is known (bundled or added by an admin)."""
        return year in self.years

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day.

        >>> cal = default_calendar()
        >>> cal.is_workday(date(2025, 10, 8)), cal.is_workday(date(2025, 10, 11))
        (False, True)
        """
        if day in self.overrides:
            return self.overrides[day]
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end (23:59:59 Asia/Shanghai) of the ``n``-th working day after ``start``'s date.

        ``start``'s own date never counts, whether or not it is a working day; the result is
        timezone-aware in Asia/Shanghai. ``n`` = 0 means the end of ``start``'s own day.

        >>> cal = default_calendar()
        >>> cal.add_working_days(datetime(2025, 9, 30, 10, 0, tzinfo=TZ), 5).isoformat()
        '2025-10-14T23:59:59+08:00'
        """
        return datetime.combine(self.add_to_date(local_date(start), n), END_OF_DAY, tzinfo=TZ)

    def add_to_date(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself for n = 0)."""
        if not 0 <= n <= MAX_WORKING_DAYS:
            raise CalendarError(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {n}")
        while n > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for d in _days(start + timedelta(days=1), end) if self.is_workday(d))


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of ``moment`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(TZ).date()


def default_calendar(overrides: Mapping[date, bool] | None = None) -> WorkCalendar:
    """The bundled official calendar plus ``overrides``."""
    return WorkCalendar.from_data(bundled(), overrides)


def parse_start(value: str) -> datetime:
    """Parse an ISO date or time; a date means its midnight and a naive time Asia/Shanghai.

    >>> parse_start("2025-09-30T10:00").isoformat()
    '2025-09-30T10:00:00+08:00'
    """
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CalendarError(
            f"{value!r} is not an ISO date or time: write it like 2025-09-30 or 2025-09-30T10:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def parse_date(value: str) -> date:
    """Parse an ISO date (2025-10-11)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CalendarError(f"{value!r} is not an ISO date: write it like 2025-10-11") from exc
