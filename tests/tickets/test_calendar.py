"""Working-day calendar: the official 2024-2026 arrangements and the "N working days after T" rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.calendar import TZ, WorkCalendar, bundled, default_calendar, parse_date, parse_start
from tickets.errors import CalendarError

CAL = default_calendar()

# Weekdays that are days off, read off each State Council notice by hand (independent of the data file's spans).
WEEKDAY_HOLIDAYS = {
    2024: {"01-01", "02-12", "02-13", "02-14", "02-15", "02-16", "04-04", "04-05", "05-01", "05-02", "05-03",
           "06-10", "09-16", "09-17", "10-01", "10-02", "10-03", "10-04", "10-07"},
    2025: {"01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01", "05-02", "05-05",
           "06-02", "10-01", "10-02", "10-03", "10-06", "10-07", "10-08"},
    2026: {"01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01", "05-04",
           "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07"},
}  # fmt: skip
WEEKEND_WORKDAYS = {
    2024: {"02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"},
    2025: {"01-26", "02-08", "04-27", "09-28", "10-11"},
    2026: {"01-04", "02-14", "02-28", "05-09", "09-20", "10-10"},
}


def test_worked_example_from_the_issue_due_2025_10_14():
    # Oct 1-8 holiday, Sat Oct 11 a make-up working day: Oct 9, 10, 11, 13, 14
    due = CAL.add_working_days(datetime(2025, 9, 30, 10, 0, tzinfo=TZ), 5)
    assert due == datetime(2025, 10, 14, 23, 59, 59, tzinfo=TZ)
    assert due.isoformat() == "2025-10-14T23:59:59+08:00"


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_official_calendar_matches_the_state_council_notice(year):
    off, work = set(), set()
    d = date(year, 1, 1)
    while d.year == year:
        if d.weekday() < 5 and not CAL.is_workday(d):
            off.add(d.strftime("%m-%d"))
        if d.weekday() >= 5 and CAL.is_workday(d):
            work.add(d.strftime("%m-%d"))
        d += timedelta(days=1)
    assert off == WEEKDAY_HOLIDAYS[year]
    assert work == WEEKEND_WORKDAYS[year]


def test_data_file_names_the_notice_of_each_year():
    years = bundled()["years"]
    assert set(years) == {"2024", "2025", "2026"}
    assert "国办发明电〔2023〕7号" in years["2024"]["notice"]
    assert "国办发明电〔2024〕12号" in years["2025"]["notice"]
    assert "国办发明电〔2025〕7号" in years["2026"]["notice"]
    assert all(CAL.covers(int(y)) for y in years) and not CAL.covers(2027)


def test_start_date_never_counts_even_late_at_night_or_on_a_holiday():
    # 23:30 Beijing time on a working day is still that day: the count starts the next day
    late = datetime(2025, 10, 9, 23, 30, tzinfo=TZ)
    assert CAL.add_working_days(late, 1).date() == date(2025, 10, 10)
    # a UTC time that is already the next day in Beijing counts from the Beijing date
    utc_evening = datetime.fromisoformat("2025-10-09T17:00:00+00:00")  # 2025-10-10 01:00 +08:00
    assert CAL.add_working_days(utc_evening, 1).date() == date(2025, 10, 11)
    assert CAL.add_working_days(datetime(2025, 10, 3, 9, 0, tzinfo=TZ), 1).date() == date(2025, 10, 9)


def test_zero_working_days_is_the_end_of_the_same_day_and_negative_is_refused():
    assert CAL.add_working_days(datetime(2025, 10, 9, 9, tzinfo=TZ), 0) == datetime(
        2025, 10, 9, 23, 59, 59, tzinfo=TZ
    )
    with pytest.raises(CalendarError, match="between 0 and"):
        CAL.add_working_days(datetime(2025, 10, 9, 9, tzinfo=TZ), -1)


def test_admin_override_wins_over_the_bundled_data_and_extends_later_years():
    cal = default_calendar({date(2025, 10, 10): False, date(2027, 1, 1): False})
    assert not cal.is_workday(date(2025, 10, 10))
    assert cal.add_working_days(datetime(2025, 9, 30, 10, tzinfo=TZ), 5).date() == date(2025, 10, 15)
    assert not cal.is_workday(date(2027, 1, 1)) and cal.covers(2027)


def test_a_date_cannot_be_both_holiday_and_make_up_day():
    with pytest.raises(CalendarError, match="both"):
        WorkCalendar(holidays=[date(2025, 1, 1)], workdays=[date(2025, 1, 1)])


def test_parse_errors_say_what_to_write():
    with pytest.raises(CalendarError, match="2025-09-30"):
        parse_start("30/09/2025")
    with pytest.raises(CalendarError, match="ISO date"):
        parse_date("2025-13-01")
    assert parse_start("2025-09-30").tzinfo is TZ


# ---------------------------------------------------------------- properties (hypothesis)

DATES = st.dates(min_value=date(2023, 12, 1), max_value=date(2026, 10, 31))
COUNTS = st.integers(min_value=0, max_value=40)


def _oracle_workdays() -> list[date]:
    """Working days 2023-12-01..2027-06-30 built straight from the notices' literal sets above."""
    out, d = [], date(2023, 12, 1)
    while d <= date(2027, 6, 30):
        key = d.strftime("%m-%d")
        if (
            d.year in WEEKEND_WORKDAYS
            and key in WEEKEND_WORKDAYS[d.year]
            or d.weekday() < 5
            and not (d.year in WEEKDAY_HOLIDAYS and key in WEEKDAY_HOLIDAYS[d.year])
        ):
            out.append(d)
        d += timedelta(days=1)
    return out


ORACLE = _oracle_workdays()


@settings(max_examples=300, deadline=None)
@given(DATES, COUNTS, COUNTS)
def test_property_adding_n_then_m_working_days_equals_adding_n_plus_m(d, n, m):
    start = datetime(d.year, d.month, d.day, 10, 0, tzinfo=TZ)
    assert CAL.add_working_days(CAL.add_working_days(start, n), m) == CAL.add_working_days(start, n + m)


@settings(max_examples=300, deadline=None)
@given(DATES, st.integers(min_value=1, max_value=40))
def test_property_result_is_the_nth_working_day_of_an_independent_oracle(d, n):
    expected = [w for w in ORACLE if w > d][n - 1]
    due = CAL.add_working_days(datetime(d.year, d.month, d.day, 12, tzinfo=TZ), n)
    assert due.date() == expected
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    assert CAL.is_workday(due.date())


@settings(max_examples=200, deadline=None)
@given(DATES, COUNTS)
def test_property_working_days_between_inverts_adding(d, n):
    assert CAL.working_days_between(d, CAL.add_to_date(d, n)) == n


@settings(max_examples=200, deadline=None)
@given(DATES, COUNTS, COUNTS)
def test_property_more_working_days_never_end_earlier(d, n, m):
    lo, hi = sorted((n, m))
    assert CAL.add_to_date(d, lo) <= CAL.add_to_date(d, hi)
    if lo < hi:
        assert CAL.add_to_date(d, lo) < CAL.add_to_date(d, hi)
