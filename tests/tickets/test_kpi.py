"""KPIs on a seeded data set: every figure below was computed by hand from the story in ``seeded``."""

from __future__ import annotations

from datetime import date

import pytest

from kb import service as kb_service
from tests.tickets.conftest import new_ticket, sh, step
from tickets import kpi, service
from tickets.errors import InvalidTicketInput
from tickets.schemas import RatingIn

LZ_HOUSING, LZ_WATER = "兰州市住房和城乡建设局", "兰州市水务局"
NOW = sh(2025, 11, 4, 12, 0)


def _rate(session, t, satisfied):
    return service.rate(
        session=session, ticket_id=t.id, rating=RatingIn(satisfied=satisfied, resolved=satisfied), actor="c"
    )


@pytest.fixture
def seeded(session, units, clock):
    """Seven tickets, in time order:

    A 620102 咨询  10-09 09:00 received, answered directly and closed.
    B 620102 城建  10-09 10:00 received, dispatched 10:30 (30 min) to 兰州住建, replied 10-10 (on time), satisfied.
    G              10-09 10:05 a duplicate of B, merged (not counted).
    C 620102 供水  10-09 11:00 received, dispatched 12:00 (60 min) to 兰州住建, sent back, re-dispatched to
                   兰州水务 12:40 (due 10-15), late on 10-16 (swept: finish overdue), replied 10-20 (late),
                   dissatisfied -> reopened (not finished; overdue for re-dispatch now).
    D 620503 城建  10-20 09:00 received, dispatched 09:20 (20 min) to 天水住建 by department, replied 10-21, satisfied.
    E 620503 供水  11-03 09:00 received, never dispatched: dispatch overdue since 10:00.
    F 620102 城建  11-03 10:00 received, dispatched 10:10 (10 min) to 兰州住建, not signed: sign overdue since 13:10.
    """
    lz, water = units[LZ_HOUSING], units[LZ_WATER]
    clock.move_to(sh(2025, 10, 9, 9, 0))
    a = new_ticket(session, category="咨询")
    clock.move_to(sh(2025, 10, 9, 9, 5))
    a = step(session, a, "direct_answer", reply="按口径答复")
    step(session, a, "close")
    clock.move_to(sh(2025, 10, 9, 10, 0))
    b = new_ticket(session, category="城建")
    clock.move_to(sh(2025, 10, 9, 10, 5))
    g = new_ticket(session, category="城建")
    step(session, g, "merge", master_id=b.id)
    clock.move_to(sh(2025, 10, 9, 10, 30))
    step(session, b, "dispatch", unit_id=lz.id)
    clock.move_to(sh(2025, 10, 9, 11, 0))
    c = new_ticket(session, category="供水")
    clock.move_to(sh(2025, 10, 9, 12, 0))
    step(session, c, "dispatch", unit_id=lz.id)
    clock.move_to(sh(2025, 10, 9, 12, 30))
    step(session, c, "send_back", role="unit_user", reason="供水问题")
    clock.move_to(sh(2025, 10, 9, 12, 40))
    step(session, c, "dispatch", unit_id=water.id)
    clock.move_to(sh(2025, 10, 9, 13, 0))
    step(session, c, "sign", role="unit_user")
    step(session, c, "start", role="unit_user")
    clock.move_to(sh(2025, 10, 9, 14, 0))
    step(session, b, "sign", role="unit_user")
    step(session, b, "start", role="unit_user")
    clock.move_to(sh(2025, 10, 10, 10, 0))
    step(session, b, "reply", role="unit_user", reply="已修复")
    _rate(session, b, True)
    clock.move_to(sh(2025, 10, 16, 0, 0))
    assert service.sweep(session=session).tickets == [c.id]
    clock.move_to(sh(2025, 10, 20, 9, 0))
    d = new_ticket(session, category="城建", region_code="620503", department="市住房和城乡建设局")
    clock.move_to(sh(2025, 10, 20, 9, 20))
    step(session, d, "dispatch")
    step(session, d, "sign", role="unit_user")
    step(session, d, "start", role="unit_user")
    clock.move_to(sh(2025, 10, 20, 10, 0))
    step(session, c, "reply", role="unit_user", reply="已修复")
    _rate(session, c, False)
    clock.move_to(sh(2025, 10, 21, 10, 0))
    step(session, d, "reply", role="unit_user", reply="已处理")
    _rate(session, d, True)
    clock.move_to(sh(2025, 11, 3, 9, 0))
    new_ticket(session, category="供水", region_code="620503")
    clock.move_to(sh(2025, 11, 3, 10, 0))
    f = new_ticket(session, category="城建")
    clock.move_to(sh(2025, 11, 3, 10, 10))
    step(session, f, "dispatch", unit_id=lz.id)
    clock.move_to(NOW)
    return session


def test_kpi_overall_equals_hand_computed_values(seeded):
    o = kpi.compute(session=seeded)["overall"]
    assert o["received"] == 6  # A B C D E F; the merged duplicate G is not counted
    assert o["direct_answer_rate"] == round(1 / 6, 4)  # A
    assert o["dispatched"] == 4  # B C D F
    assert o["completion_rate"] == 0.5  # B D finished; C reopened; F open
    assert o["on_time_rate"] == 1.0  # B and D replied by their deadlines (C's late reply was reopened)
    assert o["satisfaction_rate"] == round(2 / 3, 4)  # B, D satisfied; C not
    assert o["send_back_rate"] == 0.25  # C
    assert o["avg_dispatch_minutes"] == 30.0  # (30 + 60 + 20 + 10) / 4
    assert o["overdue"] == 3  # C (finish, swept; re-dispatch now), E (dispatch), F (sign)
    assert o["overdue_by_stage"] == {"dispatch": 2, "finish": 1, "sign": 1}


def test_kpi_by_unit_region_category_period_equal_hand_computed_values(seeded):
    k = kpi.compute(session=seeded, period="month")
    lz, water = k["by_unit"]["兰州市住房和城乡建设局"], k["by_unit"]["兰州市水务局"]
    assert (lz["received"], lz["completion_rate"], lz["satisfaction_rate"], lz["avg_dispatch_minutes"]) == (
        2,
        0.5,
        1.0,
        20.0,
    )
    assert (
        water["completion_rate"],
        water["on_time_rate"],
        water["satisfaction_rate"],
        water["send_back_rate"],
    ) == (0.0, None, 0.0, 1.0)
    assert k["by_unit"][kpi.NO_UNIT]["received"] == 2  # A and E
    assert k["by_unit"]["天水市住房和城乡建设局"]["avg_dispatch_minutes"] == 20.0

    r1, r2 = k["by_region"]["620102"], k["by_region"]["620503"]
    assert (r1["received"], r1["direct_answer_rate"], r1["completion_rate"], r1["satisfaction_rate"]) == (
        4,
        0.25,
        0.3333,
        0.5,
    )
    assert (r1["send_back_rate"], r1["avg_dispatch_minutes"], r1["overdue"]) == (0.3333, 33.33, 2)
    assert (r2["received"], r2["completion_rate"], r2["overdue"]) == (2, 1.0, 1)

    cj = k["by_category"]["城建"]
    assert (cj["received"], cj["completion_rate"], cj["satisfaction_rate"], cj["avg_dispatch_minutes"], cj["overdue"]) == (
        3, 0.6667, 1.0, 20.0, 1
    )  # fmt: skip

    oct_, nov = k["by_period"]["2025-10"], k["by_period"]["2025-11"]
    assert (
        oct_["received"],
        oct_["completion_rate"],
        oct_["satisfaction_rate"],
        oct_["avg_dispatch_minutes"],
    ) == (4, 0.6667, 0.6667, 36.67)
    assert (nov["received"], nov["completion_rate"], nov["satisfaction_rate"], nov["overdue"]) == (
        2,
        0.0,
        None,
        2,
    )


def test_kpi_date_range_region_scope_and_weekly_periods(seeded):
    nov = kpi.compute(session=seeded, start=date(2025, 11, 1))
    assert nov["overall"]["received"] == 2 and nov["from"] == "2025-11-01"
    early = kpi.compute(session=seeded, end=date(2025, 10, 10))
    assert early["overall"]["received"] == 3  # A B C (received 10-09)
    tianshui = kpi.compute(
        session=seeded, region_codes=kb_service.region_subtree(session=seeded, code="620500")
    )
    assert tianshui["overall"]["received"] == 2
    weekly = kpi.compute(session=seeded, period="week")
    assert set(weekly["by_period"]) == {"2025-W41", "2025-W43", "2025-W45"}


def test_kpi_refuses_an_unknown_period_or_reversed_dates(session):
    with pytest.raises(InvalidTicketInput, match="period"):
        kpi.compute(session=session, period="year")
    with pytest.raises(InvalidTicketInput, match="swap"):
        kpi.compute(session=session, start=date(2025, 11, 1), end=date(2025, 10, 1))


def test_kpi_rates_are_none_without_a_denominator(session):
    o = kpi.compute(session=session)["overall"]
    assert o["received"] == 0 and o["direct_answer_rate"] is None and o["avg_dispatch_minutes"] is None
