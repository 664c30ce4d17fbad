"""The ticket lifecycle: one transition table, deadlines on a frozen clock, roles, locking, merge,
send-back, consultation, extensions, callbacks and the overdue sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.tickets.conftest import T0, dispatched, in_progress, new_ticket, sh, step
from tickets import service, sla
from tickets.errors import (
    ExtensionRefused,
    IdempotencyConflict,
    InvalidTicketInput,
    NotYourTicket,
    StaleTicketVersion,
    TransitionNotAllowed,
    UnitNotFound,
)
from tickets.models import Ticket, TicketEvent
from tickets.schemas import ActionIn, RatingIn, TicketCreate

HOUSING_LZ = "兰州市住房和城乡建设局"
HOUSING_TS = "天水市住房和城乡建设局"
WATER_LZ = "兰州市水务局"


def snapshot(session, t: Ticket) -> dict:
    """The stored row as the database has it (not the session's copy)."""
    session.expire_all()
    row = session.get(Ticket, t.id)
    cols = {c.key: getattr(row, c.key) for c in Ticket.__table__.columns}
    cols["events"] = len(row.events)
    cols["extensions"] = [(x.status, x.days) for x in row.extensions]
    return cols


# ---------------------------------------------------------------- the transition table


def test_rule_happy_path_received_dispatched_signed_in_progress_replied_callback_closed(
    session, units, clock
):
    t = dispatched(session, units[HOUSING_LZ])
    for action, role, status in [
        ("sign", "unit_user", "signed"),
        ("start", "unit_user", "in_progress"),
        ("reply", "unit_user", "replied"),
        ("callback", "agent", "callback"),
        ("close", "agent", "closed"),
    ]:
        extra = {"reply": "已修复路灯"} if action == "reply" else {}
        t = step(session, t, action, role=role, **extra)
        assert t.status == status
    assert [e.action for e in t.events] == [
        "create",
        "dispatch",
        "sign",
        "start",
        "reply",
        "callback",
        "close",
    ]
    assert [(e.from_status, e.to_status) for e in t.events][1] == ("received", "dispatched")
    assert t.version == 7 and t.closed_at == T0


def test_rule_direct_answer_received_direct_answered_closed(session, units, clock):
    t = new_ticket(session)
    t = step(session, t, "direct_answer", reply="按知识库口径答复")
    assert t.status == "direct_answered"
    t = step(session, t, "close")
    assert t.status == "closed"


def test_rule_illegal_transition_is_refused_and_lists_the_allowed_actions(session, units, clock):
    t = new_ticket(session)
    with pytest.raises(TransitionNotAllowed) as err:
        step(session, t, "close")
    assert err.value.extra["allowed_actions"] == ["direct_answer", "dispatch", "merge", "supervise", "remind"]
    assert err.value.extra["status"] == "received"
    assert "dispatch" in str(err.value)


def test_rule_transition_table_is_the_single_source_of_allowed_actions():
    # every status but the final ones has a way out, every target is a known status
    for action, rule in service.TRANSITIONS.items():
        assert rule.sources <= set(service.STATUSES), action
        assert rule.target is None or rule.target in service.STATUSES, action
    for status in service.STATUSES:
        out = service.allowed_actions(status)
        assert (out == []) == (status in ("closed", "merged")), status
    assert service.allowed_actions("dispatched", "unit_user") == ["sign", "send_back"]


def test_rule_unknown_action_is_a_clear_error(session, units, clock):
    t = new_ticket(session)
    with pytest.raises(InvalidTicketInput, match="unknown action 'fly'"):
        step(session, t, "fly")


# ---------------------------------------------------------------- deadlines (SLA) on a frozen clock


def test_rule_ordinary_deadlines_dispatch_1h_sign_3h_finish_5_working_days(session, units, clock):
    t = new_ticket(session)
    assert t.received_at == T0 and t.dispatch_due == T0 + timedelta(hours=1)
    clock.move_to(T0 + timedelta(minutes=30))
    t = step(session, t, "dispatch", unit_id=units[HOUSING_LZ].id)
    assert t.sign_due == sh(2025, 9, 30, 13, 30)
    assert t.finish_due == sh(2025, 10, 14, 23, 59, 59)
    assert t.feedback_due is None and t.progress_due is None


def test_rule_emergency_deadlines_dispatch_10min_feedback_3h_progress_3wd_finish_5wd(session, units, clock):
    t = new_ticket(session, urgent=True)
    assert t.dispatch_due == T0 + timedelta(minutes=10)
    t = step(session, t, "dispatch", unit_id=units[WATER_LZ].id)
    assert t.feedback_due == T0 + timedelta(hours=3)
    assert t.progress_due == sh(2025, 10, 11, 23, 59, 59)  # Oct 9, 10, 11 (make-up Saturday)
    assert t.finish_due == sh(2025, 10, 14, 23, 59, 59)


def test_rule_emergency_feedback_met_by_first_progress_report_progress_by_second(session, units, clock):
    t = new_ticket(session, urgent=True)
    t = step(session, t, "dispatch", unit_id=units[WATER_LZ].id)
    t = step(session, t, "sign", role="unit_user")
    clock.move_to(T0 + timedelta(hours=2))
    t = step(session, t, "progress", role="unit_user", note="已派人抢修")
    clock.move_to(sh(2025, 10, 12, 9, 0))
    assert service.overdue_stages(t, service.utcnow()) == ["progress"]
    t = step(session, t, "progress", role="unit_user", note="管道已修复一半")
    assert service.overdue_stages(t, service.utcnow()) == []


def test_rule_sent_back_ticket_is_redispatched_within_20_minutes(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    clock.move_to(T0 + timedelta(minutes=40))
    t = step(session, t, "send_back", role="unit_user", reason="属供水问题，非本单位职责")
    assert t.status == "sent_back" and t.send_back_count == 1
    assert t.dispatch_due == T0 + timedelta(minutes=60)
    t = step(session, t, "dispatch", unit_id=units[WATER_LZ].id)
    assert t.status == "dispatched" and t.lead_unit_id == units[WATER_LZ].id
    assert t.first_dispatched_at == T0 and t.dispatched_at == T0 + timedelta(minutes=40)


def test_rule_send_back_needs_a_reason(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    before = snapshot(session, t)
    with pytest.raises(InvalidTicketInput, match="reason"):
        step(session, t, "send_back", role="unit_user")
    assert snapshot(session, t) == before


def test_rule_joint_consultation_when_nobody_accepts_has_no_dispatch_deadline(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    t = step(session, t, "send_back", role="unit_user", reason="非本单位")
    t = step(session, t, "dispatch", unit_id=units[WATER_LZ].id)
    t = step(session, t, "send_back", role="unit_user", reason="也非本单位")
    t = step(session, t, "consult", note="组织住建、水务会商")
    assert t.status == "consulting" and t.consultation and t.dispatch_due is None
    clock.move_to(T0 + timedelta(days=1))
    assert "dispatch" not in service.overdue_stages(t, service.utcnow())
    t = step(session, t, "dispatch", unit_id=units[WATER_LZ].id, assisting_unit_ids=[units[HOUSING_LZ].id])
    assert t.status == "dispatched" and [u.id for u in t.assisting_units] == [units[HOUSING_LZ].id]


def test_rule_dissatisfied_callback_reopens_and_the_ticket_goes_round_again(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    t = step(session, t, "reply", role="unit_user", reply="已处理")
    t = service.rate(
        session=session, ticket_id=t.id, rating=RatingIn(satisfied=False, resolved=False), actor="citizen"
    )
    assert t.status == "reopened"
    t = step(session, t, "dispatch", unit_id=units[HOUSING_LZ].id)
    t = step(session, t, "sign", role="unit_user")
    t = step(session, t, "start", role="unit_user")
    t = step(session, t, "reply", role="unit_user", reply="已彻底修复")
    t = service.rate(
        session=session, ticket_id=t.id, rating=RatingIn(satisfied=True, resolved=True), actor="citizen"
    )
    assert t.status == "closed"
    assert [(c.satisfied, c.resolved) for c in t.callbacks] == [(False, False), (True, True)]


def test_rule_rating_before_the_reply_is_refused(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    with pytest.raises(TransitionNotAllowed, match="rating opens"):
        service.rate(
            session=session, ticket_id=t.id, rating=RatingIn(satisfied=True, resolved=True), actor="c"
        )


def test_rule_merge_a_duplicate_joins_its_master(session, units, clock):
    master = dispatched(session, units[HOUSING_LZ])
    dup = new_ticket(session, content="同一路灯又来电")
    dup = step(session, dup, "merge", master_id=master.id)
    assert dup.status == "merged" and dup.master_id == master.id
    assert service.allowed_actions("merged") == []
    other = new_ticket(session)
    with pytest.raises(InvalidTicketInput, match="merged into"):
        step(session, other, "merge", master_id=dup.id)
    with pytest.raises(InvalidTicketInput, match="itself"):
        step(session, other, "merge", master_id=other.id)


def test_rule_supervision_and_reminders_are_recorded_without_changing_status(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    t = step(session, t, "supervise", role="manager", note="市领导督办")
    t = step(session, t, "remind", note="请尽快签收")
    assert t.status == "dispatched" and t.supervised and t.reminder_count == 1
    assert [e.action for e in t.events][-2:] == ["supervise", "remind"]
    with pytest.raises(NotYourTicket, match="manager"):
        step(session, t, "supervise", role="agent")


# ---------------------------------------------------------------- extensions


def test_rule_extension_requested_in_time_and_approved_moves_the_finish_deadline(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    clock.move_to(sh(2025, 10, 10, 9, 0))  # due Tue 10-14: Sat 10-11 (make-up) and Mon 10-13 remain
    t = step(session, t, "request_extension", role="unit_user", days=3, reason="需协调燃气公司")
    t = step(session, t, "approve_extension", role="manager")
    assert t.finish_due == sh(2025, 10, 17, 23, 59, 59)
    assert t.extension_count == 1 and t.extensions[0].old_due == sh(2025, 10, 14, 23, 59, 59)


def test_rule_extension_less_than_2_working_days_before_due_is_too_late(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    clock.move_to(sh(2025, 10, 13, 9, 0))  # only Tue 10-14 remains
    before = snapshot(session, t)
    with pytest.raises(ExtensionRefused, match="too late") as err:
        step(session, t, "request_extension", role="unit_user", days=2, reason="来不及")
    assert err.value.extra["rule"] == "extension_notice"
    assert snapshot(session, t) == before


def test_rule_at_most_two_extensions(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    for _ in range(2):
        t = step(session, t, "request_extension", role="unit_user", days=5, reason="仍需时间")
        t = step(session, t, "approve_extension", role="manager")
    assert t.extension_count == 2
    before = snapshot(session, t)
    with pytest.raises(ExtensionRefused, match="at most 2") as err:
        step(session, t, "request_extension", role="unit_user", days=1, reason="第三次")
    assert err.value.extra["rule"] == "extension_limit"
    assert snapshot(session, t) == before


def test_rule_extension_at_most_5_working_days_and_one_pending_at_a_time(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    with pytest.raises(ExtensionRefused, match="1 to 5"):
        step(session, t, "request_extension", role="unit_user", days=6, reason="太长")
    t = step(session, t, "request_extension", role="unit_user", days=2, reason="等待检测")
    with pytest.raises(ExtensionRefused, match="already pending"):
        step(session, t, "request_extension", role="unit_user", days=2, reason="再来")
    t = step(session, t, "deny_extension", role="manager", note="请按期办结")
    assert t.extensions[0].status == "denied" and t.finish_due == sh(2025, 10, 14, 23, 59, 59)
    with pytest.raises(ExtensionRefused, match="no pending"):
        step(session, t, "approve_extension", role="manager")


def test_rule_reply_after_an_approved_extension_is_on_time(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    t = step(session, t, "request_extension", role="unit_user", days=1, reason="等材料")
    t = step(session, t, "approve_extension", role="agent")
    clock.move_to(sh(2025, 10, 15, 18, 0))
    t = step(session, t, "reply", role="unit_user", reply="已办结")
    assert t.replied_on_time is True


# ---------------------------------------------------------------- roles and units


def test_rule_unit_user_cannot_sign_another_units_ticket_and_ticket_is_unchanged(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    before = snapshot(session, t)
    with pytest.raises(NotYourTicket, match="not led by your unit"):
        step(session, t, "sign", role="unit_user", as_unit=units[WATER_LZ].id)
    assert snapshot(session, t) == before


def test_rule_assisting_unit_may_report_progress_but_not_sign(session, units, clock):
    t = new_ticket(session)
    t = step(session, t, "dispatch", unit_id=units[HOUSING_LZ].id, assisting_unit_ids=[units[WATER_LZ].id])
    with pytest.raises(NotYourTicket):
        step(session, t, "sign", role="unit_user", as_unit=units[WATER_LZ].id)
    t = step(session, t, "sign", role="unit_user")
    t = step(session, t, "progress", role="unit_user", as_unit=units[WATER_LZ].id, note="协办单位已到场")
    assert t.progress_reports == 1


def test_rule_agents_cannot_do_a_units_work(session, units, clock):
    t = dispatched(session, units[HOUSING_LZ])
    with pytest.raises(NotYourTicket, match="unit_user"):
        step(session, t, "sign", role="agent")


def test_rule_dispatch_to_an_unknown_unit_is_refused_and_ticket_is_unchanged(session, units, clock):
    t = new_ticket(session)
    before = snapshot(session, t)
    with pytest.raises(UnitNotFound, match="unknown unit 999999"):
        step(session, t, "dispatch", unit_id=999999)
    with pytest.raises(UnitNotFound, match="unknown unit"):
        step(session, t, "dispatch", unit_id=units[HOUSING_LZ].id, assisting_unit_ids=[999999])
    with pytest.raises(UnitNotFound, match="no unit of 市气象局"):
        step(session, t, "dispatch", department="市气象局")
    assert snapshot(session, t) == before


def test_rule_dispatch_only_to_units_that_serve_the_tickets_region(session, units, clock):
    t = new_ticket(session, region_code="620503")  # 麦积区, 天水市
    before = snapshot(session, t)
    with pytest.raises(InvalidTicketInput, match="serves region 620100, not this ticket's region 620503"):
        step(session, t, "dispatch", unit_id=units[HOUSING_LZ].id)
    with pytest.raises(InvalidTicketInput, match="serves region 620100") as err:
        step(session, t, "dispatch", unit_id=units[HOUSING_TS].id, assisting_unit_ids=[units[WATER_LZ].id])
    assert err.value.extra["unit_role"] == "assisting"
    assert snapshot(session, t) == before
    t = step(session, t, "dispatch", unit_id=units[HOUSING_TS].id)  # the city above the county serves it
    assert t.lead_unit.name == HOUSING_TS


def test_rule_dispatch_by_department_resolves_the_askers_unit(session, units, clock):
    t = new_ticket(session, region_code="620503", department="市住房和城乡建设局")  # 麦积区, 天水市
    t = step(session, t, "dispatch")
    assert t.lead_unit.name == HOUSING_TS


def test_find_unit_walks_up_the_region_chain(session, units):
    assert (
        service.find_unit(session=session, department="市公安局", region_code="620102").name == "兰州市公安局"
    )
    assert (
        service.find_unit(session=session, department="市公安局", region_code="620500").name == "天水市公安局"
    )
    assert (
        service.find_unit(session=session, department="供电公司", region_code="620503").name
        == "国网天水供电公司"
    )
    assert (
        service.find_unit(session=session, department="市公安局", region_code="620200") is None
    )  # 嘉峪关: no demo unit
    county = service.create_unit(
        session=session, name="麦积区公安分局", department="市公安局", region_code="620503"
    )
    assert service.find_unit(session=session, department="市公安局", region_code="620503").id == county.id


def test_seed_demo_units_covers_22_departments_in_two_cities_idempotently(session):
    added = service.seed_demo_units(session=session)
    assert added == 44
    assert service.seed_demo_units(session=session) == 0
    assert {u.region_code for u in service.get_units(session=session)} >= {"620100", "620500"}
    assert len(service.get_units(session=session, region_code="620100")) == 22


# ---------------------------------------------------------------- creation, privacy, idempotency, locking


def test_rule_caller_phone_is_stored_masked_for_display_and_full_only_for_callback(session, clock):
    t = new_ticket(session, caller_phone="139-1234-5678", content="我电话13912345678，路灯坏了",
                   transcript=[{"role": "user", "content": "身份证620102199001011234"}])  # fmt: skip
    assert t.caller_phone_masked == "139****5678"
    assert t.caller_phone == "139-1234-5678"
    assert "13912345678" not in t.content and "139****5678" in t.content
    assert t.transcript == [{"role": "user", "content": "身份证620102********1234"}]


def test_rule_phone_is_never_logged_unmasked(session, clock, caplog):
    caplog.set_level("INFO", logger="lianxin.tickets")
    new_ticket(session, caller_phone="13912345678")
    assert "139****5678" in caplog.text and "13912345678" not in caplog.text


def test_rule_create_accepts_a_transcript_and_suggestion_from_the_assistant(session, clock):
    t_in = TicketCreate(
        channel="mini_program", content="咨询公积金提取", region_code="620100", category="住房/公积金",
        transcript="用户：公积金怎么提取？\n助手：请问您是在兰州缴存的吗？",
        suggestion={"category": "住房/公积金", "confidence": 0.82}, department="市住房和城乡建设局",
    )  # fmt: skip
    t = service.create(session=session, ticket_in=t_in, actor="assistant")
    assert t.suggestion == {"category": "住房/公积金", "confidence": 0.82, "department": "市住房和城乡建设局"}
    assert t.transcript[0]["content"].startswith("用户：公积金")


def test_rule_same_idempotency_key_returns_the_same_ticket(session, clock):
    a, tok_a, replay_a = service.create_with_token(
        session=session,
        ticket_in=TicketCreate(channel="app", content="噪音", idempotency_key="retry-0001"),
        actor="x",
    )
    b, tok_b, replay_b = service.create_with_token(
        session=session,
        ticket_in=TicketCreate(channel="app", content="噪音", idempotency_key="retry-0001"),
        actor="x",
    )
    assert a.id == b.id and (replay_a, replay_b) == (False, True)
    assert service.get_by_token(session=session, token=tok_a).id == a.id
    assert service.get_by_token(session=session, token=tok_b).id == a.id
    assert session.scalar(select(Ticket.id).where(Ticket.idempotency_key == "retry-0001").limit(2)) == a.id


def test_rule_idempotency_key_reused_for_another_request_conflicts(session, clock):
    service.create(
        session=session,
        ticket_in=TicketCreate(channel="app", content="噪音", idempotency_key="k-12345678"),
        actor="x",
    )
    with pytest.raises(IdempotencyConflict, match="different request"):
        service.create(
            session=session,
            ticket_in=TicketCreate(channel="app", content="漏水", idempotency_key="k-12345678"),
            actor="x",
        )


@pytest.mark.parametrize(
    "key", ["short", "has space 123", "中文键值一二三四五六", "x" * 129, "-leading-dash"]
)
def test_rule_malformed_idempotency_key_is_refused(session, key):
    with pytest.raises(InvalidTicketInput, match="malformed idempotency key"):
        service.create(
            session=session,
            ticket_in=TicketCreate(channel="app", content="噪音", idempotency_key=key),
            actor="x",
        )
    assert session.scalar(select(Ticket.id).where(Ticket.idempotency_key == key)) is None


def test_rule_stale_version_is_refused_and_ticket_is_unchanged(session, units, clock):
    t = new_ticket(session)
    old = t.version
    t = step(session, t, "remind")
    before = snapshot(session, t)
    with pytest.raises(StaleTicketVersion, match="reload") as err:
        service.act(session=session, ticket_id=t.id, action="dispatch", data=ActionIn(version=old, unit_id=units[HOUSING_LZ].id),
                    actor="a", role="agent")  # fmt: skip
    assert err.value.extra["current_version"] == old + 1
    assert snapshot(session, t) == before


def test_rule_every_transition_moves_the_version_by_one(session, units, clock):
    t = new_ticket(session)
    versions = [t.version]
    for action, kw in [("dispatch", {"unit_id": units[HOUSING_LZ].id}), ("remind", {}), ("supervise", {})]:
        t = step(session, t, action, role="manager" if action == "supervise" else "agent", **kw)
        versions.append(t.version)
    t = step(session, t, "sign", role="unit_user")
    t = step(session, t, "start", role="unit_user")
    t = step(session, t, "request_extension", role="unit_user", days=1, reason="r")  # adds a row only
    versions += [t.version]
    assert versions == [1, 2, 3, 4, 7]


# ---------------------------------------------------------------- overdue sweep


def test_rule_sweep_marks_overdue_tickets_and_raises_one_reminder_per_late_stage(session, units, clock):
    late_dispatch = new_ticket(session)
    late_sign = dispatched(session, units[HOUSING_LZ])
    fine = new_ticket(session)
    clock.move_to(T0 + timedelta(minutes=50))
    fine = step(session, fine, "dispatch", unit_id=units[HOUSING_LZ].id)
    clock.move_to(T0 + timedelta(hours=3, minutes=1))
    report = service.sweep(session=session)
    assert set(report.tickets) == {late_dispatch.id, late_sign.id}
    assert late_dispatch.overdue_stages == ["dispatch"] and late_sign.overdue_stages == ["sign"]
    assert late_sign.overdue and not fine.overdue
    reminders = session.scalars(
        select(TicketEvent).where(TicketEvent.action == "remind", TicketEvent.actor == "system")
    )
    assert sorted(e.ticket_id for e in reminders) == sorted([late_dispatch.id, late_sign.id])
    # a second sweep finds nothing new
    assert service.sweep(session=session).marked == 0
    # once the finish deadline passes too, the signed-late ticket is reminded again for "finish"
    clock.move_to(sh(2025, 10, 15, 0, 0, 1))
    report = service.sweep(session=session)
    assert late_sign.id in report.tickets and late_sign.overdue_stages == ["sign", "finish"]


def test_rule_overdue_filter_finds_late_tickets_before_any_sweep(session, units, clock):
    t = new_ticket(session)
    clock.move_to(T0 + timedelta(hours=2))
    items, total = service.get_all(session=session, overdue=True)
    assert t.id in [i.id for i in items]
    items, _ = service.get_all(session=session, overdue=False)
    assert t.id not in [i.id for i in items]


def test_rule_sla_constants_are_the_issues_numbers():
    assert timedelta(hours=1) == sla.DISPATCH_WITHIN
    assert timedelta(minutes=10) == sla.EMERGENCY_DISPATCH_WITHIN
    assert timedelta(hours=3) == sla.SIGN_WITHIN and timedelta(hours=3) == sla.FEEDBACK_WITHIN
    assert (sla.PROGRESS_WORKING_DAYS, sla.FINISH_WORKING_DAYS) == (3, 5)
    assert (sla.EXTENSION_NOTICE_WORKING_DAYS, sla.MAX_EXTENSIONS, sla.MAX_EXTENSION_DAYS) == (2, 2, 5)


def test_rule_a_reply_withdraws_a_pending_extension(session, units, clock):
    t = in_progress(session, units[HOUSING_LZ])
    t = step(session, t, "request_extension", role="unit_user", days=2, reason="等待检测")
    t = step(session, t, "reply", role="unit_user", reply="提前办结")
    assert [x.status for x in t.extensions] == ["withdrawn"]
    with pytest.raises(TransitionNotAllowed):
        step(session, t, "approve_extension", role="manager")
