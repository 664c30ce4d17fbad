"""Ticket API over HTTP: creation with idempotency, actions with versions, roles and scopes,
citizen tokens, KPIs and the calendar. Each bad input gets a clear 4xx and changes nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from api.auth import create_token
from tickets import service

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 9, 30, 10, 0, tzinfo=SH)
LZ_HOUSING, LZ_WATER = "兰州市住房和城乡建设局", "兰州市水务局"
NEW = {"channel": "phone", "content": "小区路灯不亮", "region_code": "620102", "caller_phone": "13912345678",
       "category": "城建", "department": "市住房和城乡建设局"}  # fmt: skip


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def env(session, tokens):
    """Demo units plus unit users of 兰州住建 / 兰州水务 and managers of 兰州 / 天水."""
    service.seed_demo_units(session=session)
    units = {u.name: u for u in service.get_units(session=session)}
    h = dict(tokens)
    for key, name in (("unit_housing", LZ_HOUSING), ("unit_water", LZ_WATER)):
        tok = create_token(
            session=session, name=key, role="unit_user", region_code="620100", unit_id=units[name].id
        )
        h[key] = {"Authorization": f"Bearer {tok}"}
    for key, region in (("manager_lanzhou", "620100"), ("manager_tianshui", "620500")):
        tok = create_token(session=session, name=key, role="manager", region_code=region)
        h[key] = {"Authorization": f"Bearer {tok}"}
    return h, units


def _create(client, h, who="agent_lanzhou", **over):
    r = client.post("/tickets", json={**NEW, **over}, headers=h[who])
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, headers, tid, action, version, **body):
    return client.post(f"/tickets/{tid}/{action}", json={"version": version, **body}, headers=headers)


def _get(client, h, tid):
    r = client.get(f"/tickets/{tid}", headers=h["admin"])
    assert r.status_code == 200, r.text
    return r.json()


def _stored(client, h, tid):
    """What a later reader sees: status, version, units, deadlines, history length."""
    t = _get(client, h, tid)
    return {k: t[k] for k in ("status", "version", "lead_unit", "deadlines", "extension_count", "send_back_count")} | {
        "events": len(t["events"]), "extensions": len(t["extensions"])
    }  # fmt: skip


def test_create_returns_status_iso_deadlines_masked_phone_and_citizen_token(client, env, clock):
    h, _ = env
    created = _create(client, h)
    t = created["ticket"]
    assert t["status"] == "received" and t["version"] == 1
    assert t["deadlines"]["dispatch"] == "2025-09-30T11:00:00+08:00"
    assert t["caller_phone"] == "139****5678" and "13912345678" not in str(created)
    assert created["citizen_token"] and created["replayed"] is False
    assert t["allowed_actions"] == ["direct_answer", "dispatch", "merge", "supervise", "remind"]


def test_dispatch_by_department_sets_the_5_working_day_deadline(client, env, clock):
    h, units = env
    t = _create(client, h)["ticket"]
    r = _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lead_unit"]["name"] == LZ_HOUSING
    assert body["deadlines"]["finish"] == "2025-10-14T23:59:59+08:00"
    assert body["deadlines"]["sign"] == "2025-09-30T13:00:00+08:00"


def test_same_idempotency_key_returns_the_same_ticket(client, env, clock):
    h, _ = env
    hdr = {**h["agent_lanzhou"], "Idempotency-Key": "3f1c2a9e-7b1d-4c55-9d1e-1a2b3c4d5e6f"}
    first = client.post("/tickets", json=NEW, headers=hdr)
    again = client.post("/tickets", json=NEW, headers=hdr)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["ticket"]["id"] == again.json()["ticket"]["id"] and again.json()["replayed"] is True
    other = client.post("/tickets", json={**NEW, "content": "另一件事"}, headers=hdr)
    assert other.status_code == 409 and "different request" in other.json()["detail"]


@pytest.mark.parametrize("key", ["bad key with spaces", "short", "slashes/are/not/allowed"])
def test_malformed_idempotency_key_is_422_and_creates_nothing(client, env, key):
    h, _ = env
    before = client.get("/tickets", headers=h["admin"]).json()["total"]
    r = client.post("/tickets", json=NEW, headers={**h["agent_lanzhou"], "Idempotency-Key": key})
    assert r.status_code == 422 and "malformed idempotency key" in r.json()["detail"]
    assert client.get("/tickets", headers=h["admin"]).json()["total"] == before


def test_illegal_transition_is_409_listing_the_allowed_actions(client, env, clock):
    h, _ = env
    t = _create(client, h)["ticket"]
    r = _act(client, h["agent_lanzhou"], t["id"], "close", 1)
    assert r.status_code == 409
    assert r.json()["allowed_actions"] == ["direct_answer", "dispatch", "merge", "supervise", "remind"]
    assert r.json()["error"] == "TransitionNotAllowed"
    assert _get(client, h, t["id"])["version"] == 1


def test_unknown_unit_is_422_and_the_ticket_is_unchanged(client, env, clock):
    h, _ = env
    t = _create(client, h)["ticket"]
    before = _stored(client, h, t["id"])
    r = _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1, unit_id=987654)
    assert r.status_code == 422 and "unknown unit 987654" in r.json()["detail"]
    assert _stored(client, h, t["id"]) == before


def test_signing_another_units_ticket_is_403_and_the_ticket_is_unchanged(client, env, clock):
    h, units = env
    t = _create(client, h)["ticket"]
    _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id)
    before = _stored(client, h, t["id"])
    r = _act(client, h["unit_water"], t["id"], "sign", 2)
    assert r.status_code == 403 and "not led by your unit" in r.json()["detail"]
    assert _stored(client, h, t["id"]) == before
    assert client.get(f"/tickets/{t['id']}", headers=h["unit_water"]).status_code == 403
    ok = _act(client, h["unit_housing"], t["id"], "sign", 2)
    assert ok.status_code == 200 and ok.json()["status"] == "signed"


def test_stale_version_is_409_and_the_ticket_is_unchanged(client, env, clock):
    h, units = env
    t = _create(client, h)["ticket"]
    assert _act(client, h["agent_lanzhou"], t["id"], "remind", 1).status_code == 200
    before = _stored(client, h, t["id"])
    r = _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id)
    assert r.status_code == 409 and r.json()["current_version"] == 2 and "reload" in r.json()["detail"]
    assert _stored(client, h, t["id"]) == before


def test_extension_too_late_or_one_too_many_is_422_and_the_ticket_is_unchanged(client, env, clock):
    h, units = env
    t = _create(client, h)["ticket"]
    v = _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id).json()[
        "version"
    ]
    v = _act(client, h["unit_housing"], t["id"], "sign", v).json()["version"]
    v = _act(client, h["unit_housing"], t["id"], "start", v).json()["version"]
    for _ in range(2):
        v = _act(
            client, h["unit_housing"], t["id"], "request_extension", v, days=5, reason="需要检测"
        ).json()["version"]
        r = _act(client, h["manager_lanzhou"], t["id"], "approve_extension", v)
        assert r.status_code == 200, r.text
        v = r.json()["version"]
    before = _stored(client, h, t["id"])
    r = _act(client, h["unit_housing"], t["id"], "request_extension", v, days=1, reason="第三次")
    assert r.status_code == 422 and r.json()["rule"] == "extension_limit"
    assert _stored(client, h, t["id"]) == before

    t2 = _create(client, h)["ticket"]
    v = _act(client, h["agent_lanzhou"], t2["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id).json()[
        "version"
    ]
    v = _act(client, h["unit_housing"], t2["id"], "sign", v).json()["version"]
    v = _act(client, h["unit_housing"], t2["id"], "start", v).json()["version"]
    clock.move_to(datetime(2025, 10, 13, 9, 0, tzinfo=SH))
    before = _stored(client, h, t2["id"])
    r = _act(client, h["unit_housing"], t2["id"], "request_extension", v, days=2, reason="来不及")
    assert (
        r.status_code == 422 and "too late" in r.json()["detail"] and r.json()["rule"] == "extension_notice"
    )
    assert _stored(client, h, t2["id"]) == before


def test_citizen_follows_and_rates_with_the_token_from_creation(client, env, clock):
    h, units = env
    created = _create(client, h)
    tid, token = created["ticket"]["id"], created["citizen_token"]
    v = _act(client, h["agent_lanzhou"], tid, "dispatch", 1, unit_id=units[LZ_HOUSING].id).json()["version"]
    v = _act(client, h["unit_housing"], tid, "sign", v).json()["version"]
    v = _act(client, h["unit_housing"], tid, "start", v).json()["version"]
    v = _act(client, h["unit_housing"], tid, "reply", v, reply="路灯已修复").json()["version"]
    mine = client.get(f"/tickets/{tid}", headers={"X-Ticket-Token": token})
    assert (
        mine.status_code == 200 and mine.json()["reply"] == "路灯已修复" and "caller_phone" not in mine.json()
    )
    other = _create(client, h)["ticket"]
    assert client.get(f"/tickets/{other['id']}", headers={"X-Ticket-Token": token}).status_code == 403
    assert client.get(f"/tickets/{tid}").status_code == 403
    r = client.post(f"/tickets/{tid}/rate", json={"satisfied": True, "resolved": True, "comment": "谢谢"},
                    headers={"X-Ticket-Token": token})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["callbacks"][0]["satisfied"] is True


def test_listing_filters_and_scopes(client, env, clock):
    h, units = env
    a = _create(client, h)["ticket"]
    b = _create(client, h, who="agent_province", region_code="620503", department="市水务局")["ticket"]
    r = client.post("/tickets", json={**NEW, "region_code": "620503"}, headers=h["agent_lanzhou"])
    assert r.status_code == 403 and "outside your scope" in r.json()["detail"]
    _act(client, h["agent_province"], a["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id)
    mine = client.get("/tickets", headers=h["unit_housing"]).json()
    assert [t["id"] for t in mine["items"]] == [a["id"]]
    assert client.get(f"/tickets?unit={units[LZ_WATER].id}", headers=h["unit_housing"]).status_code == 403
    by_unit = client.get(f"/tickets?unit={units[LZ_HOUSING].id}&status=dispatched", headers=h["admin"]).json()
    assert [t["id"] for t in by_unit["items"]] == [a["id"]]
    ts = client.get("/tickets", headers=h["manager_tianshui"]).json()
    assert [t["id"] for t in ts["items"]] == [b["id"]]
    assert client.get(f"/tickets/{a['id']}", headers=h["manager_tianshui"]).status_code == 403
    clock.move_to(datetime(2025, 9, 30, 13, 30, tzinfo=SH))  # a's sign and b's dispatch deadlines have passed
    late = client.get("/tickets?overdue=true", headers=h["admin"]).json()
    assert {t["id"] for t in late["items"]} == {a["id"], b["id"]}
    assert late["items"][0]["overdue"] is True
    assert client.get("/tickets?status=lost", headers=h["admin"]).status_code == 422


def test_kpi_endpoint_for_supervisors_only(client, env, clock):
    h, _ = env
    _create(client, h)
    r = client.get("/kpi?period=day", headers=h["manager_lanzhou"])
    assert r.status_code == 200 and r.json()["overall"]["received"] == 1
    assert set(r.json()) == {
        "from",
        "to",
        "period",
        "overall",
        "by_unit",
        "by_region",
        "by_category",
        "by_period",
    }
    assert client.get("/kpi", headers=h["manager_tianshui"]).json()["overall"]["received"] == 0
    assert client.get("/kpi", headers=h["unit_housing"]).status_code == 403
    assert client.get("/kpi?period=year", headers=h["admin"]).status_code == 422


def test_calendar_endpoints_and_admin_override(client, env):
    h, _ = env
    r = client.get("/calendar/add", params={"start": "2025-09-30T10:00", "n": 5})
    assert r.json() == {"due": "2025-10-14T23:59:59+08:00"}
    assert client.get("/calendar/workday/2025-10-11").json()["workday"] is True
    assert client.get("/calendar/add", params={"start": "yesterday", "n": 5}).status_code == 422
    assert (
        client.put("/calendar/overrides/2025-10-13?workday=false", headers=h["agent_lanzhou"]).status_code
        == 403
    )
    assert (
        client.put("/calendar/overrides/2025-10-13?workday=false&note=test", headers=h["admin"]).status_code
        == 200
    )
    assert (
        client.get("/calendar/add", params={"start": "2025-09-30T10:00", "n": 5})
        .json()["due"]
        .startswith("2025-10-15")
    )


def test_unknown_action_is_422_naming_the_actions(client, env, clock):
    h, _ = env
    t = _create(client, h)["ticket"]
    r = _act(client, h["agent_lanzhou"], t["id"], "teleport", 1)
    assert r.status_code == 422 and "dispatch" in r.json()["actions"]


def test_full_caller_number_only_for_the_hotline_and_every_reveal_is_audited(client, env, clock):
    h, units = env
    t = _create(client, h)["ticket"]
    _act(client, h["agent_lanzhou"], t["id"], "dispatch", 1, unit_id=units[LZ_HOUSING].id)
    assert client.get(f"/tickets/{t['id']}/caller-phone", headers=h["unit_housing"]).status_code == 403
    assert "13912345678" not in client.get(f"/tickets/{t['id']}", headers=h["unit_housing"]).text
    r = client.get(f"/tickets/{t['id']}/caller-phone", headers=h["agent_lanzhou"])
    assert r.json() == {"caller_phone": "13912345678"}
    events = _get(client, h, t["id"])["events"]
    assert [e["action"] for e in events][-1] == "reveal_phone" and events[-1]["actor"] == "agent_lanzhou"


def test_a_citizen_reports_from_a_mini_program_and_follows_it(client, env, clock):
    h, _ = env
    hdr = {**h["citizen"], "Idempotency-Key": "mp-7f3e-0001"}
    body = {"channel": "mini_program", "content": "楼下烧烤油烟扰民", "region_code": "620503"}
    first = client.post("/tickets", json=body, headers=hdr)
    retry = client.post("/tickets", json=body, headers=hdr)
    assert (first.status_code, retry.status_code) == (201, 200)
    for token in (first.json()["citizen_token"], retry.json()["citizen_token"]):
        seen = client.get(
            f"/tickets/{first.json()['ticket']['id']}", headers={**h["citizen"], "X-Ticket-Token": token}
        )
        assert seen.status_code == 200 and seen.json()["status"] == "received"
    assert client.get("/tickets", headers=h["citizen"]).status_code == 403


def test_units_listing_and_admin_creation(client, env):
    h, _ = env
    lz = client.get("/tickets/units?region=620100", headers=h["agent_lanzhou"]).json()
    assert len(lz) == 22 and {u["department"] for u in lz} >= {"市住房和城乡建设局", "供电公司"}
    new = {"name": "城关区住建局", "department": "市住房和城乡建设局", "region_code": "620102"}
    assert client.post("/tickets/units", json=new, headers=h["agent_lanzhou"]).status_code == 403
    r = client.post("/tickets/units", json=new, headers=h["admin"])
    assert r.status_code == 201 and r.json()["region_code"] == "620102"
    bad = client.post(
        "/tickets/units", json={**new, "name": "x", "region_code": "999999"}, headers=h["admin"]
    )
    assert bad.status_code == 422 and "unknown region" in bad.json()["detail"]


def test_bad_creation_input_is_422_with_the_reason(client, env):
    h, _ = env
    r = client.post("/tickets", json={**NEW, "region_code": "999999"}, headers=h["admin"])
    assert r.status_code == 422 and "unknown region code" in r.json()["detail"]
    r = client.post("/tickets", json={**NEW, "caller_phone": "call me maybe"}, headers=h["admin"])
    assert r.status_code == 422 and "phone" in r.text
    r = client.post("/tickets", json={**NEW, "channel": "fax"}, headers=h["admin"])
    assert r.status_code == 422
    assert client.get("/tickets", headers=h["admin"]).json()["total"] == 0
