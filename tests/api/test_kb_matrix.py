"""Role × endpoint matrix for the KB API: nobody reaches outside their role and scope."""

from __future__ import annotations

import pytest

from tests import factories

HRSS = "甘肃省人力资源和社会保障厅"
HEALTH = "甘肃省医疗保障局"


@pytest.fixture
def kb_data(session):
    prov = factories.source(session, code="t-prov", tier="province", region_code="620000")
    city_ts = factories.source(session, code="t-ts", tier="city", region_code="620500")
    city_lz = factories.source(session, code="t-lz", tier="city", region_code="620100")
    e = {
        "province": factories.entry(
            session,
            source_code=prov.code,
            region_code="620000",
            department=HRSS,
            matter_key="退休",
            aspect="materials",
            question="办理退休要什么材料",
        ),
        "tianshui": factories.entry(
            session,
            source_code=city_ts.code,
            region_code="620500",
            department=HRSS,
            matter_key="退休",
            aspect="materials",
            question="天水办理退休要什么材料",
        ),
        "lanzhou": factories.entry(
            session,
            source_code=city_lz.code,
            region_code="620100",
            department=HEALTH,
            question="兰州医保异地备案",
        ),
        "draft_hrss": factories.entry(
            session, source_code=prov.code, region_code="620000", department=HRSS, status="draft"
        ),
        "review_lz": factories.entry(
            session, source_code=city_lz.code, region_code="620100", department=HEALTH, status="in_review"
        ),
        "review_prov": factories.entry(
            session, source_code=prov.code, region_code="620000", department=HRSS, status="in_review"
        ),
    }
    return {k: v.id for k, v in e.items()}


ROLES = [
    "anonymous",
    "citizen",
    "agent_province",
    "agent_tianshui",
    "editor_hrss",
    "editor_health",
    "reviewer_province",
    "reviewer_lanzhou",
    "admin",
]

# endpoint -> expected status per role (in ROLES order)
MATRIX = {
    ("GET", "/kb/entries"): [401, 403, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/kb/entries/{lanzhou}"): [401, 403, 200, 403, 403, 200, 200, 200, 200],
    ("GET", "/kb/entries/{tianshui}"): [401, 403, 200, 200, 200, 403, 200, 403, 200],
    ("GET", "/kb/entries/{tianshui}/versions"): [401, 403, 200, 200, 200, 403, 200, 403, 200],
    ("POST", "/kb/entries"): [401, 403, 403, 403, 201, 403, 403, 403, 201],
    ("PATCH", "/kb/entries/{province}"): [401, 403, 403, 403, 200, 403, 403, 403, 200],
    ("POST", "/kb/entries/{draft_hrss}/submit"): [401, 403, 403, 403, 200, 403, 403, 403, 200],
    ("POST", "/kb/entries/{review_lz}/publish"): [401, 403, 403, 403, 403, 403, 200, 200, 200],
    ("POST", "/kb/entries/{review_prov}/publish"): [401, 403, 403, 403, 403, 403, 200, 403, 200],
    ("POST", "/kb/entries/{review_prov}/reject"): [401, 403, 403, 403, 403, 403, 200, 403, 200],
    ("POST", "/kb/entries/{lanzhou}/retire"): [401, 403, 403, 403, 403, 200, 200, 200, 200],
    ("GET", "/kb/conflicts"): [401, 403, 403, 403, 200, 200, 200, 200, 200],
    ("GET", "/kb/regions"): [401, 403, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/health"): [200] * 9,  # open on purpose: load balancers and `make run` probe it
    ("GET", "/kb/topics"): [401, 403, 200, 200, 200, 200, 200, 200, 200],
    ("GET", "/kb/entries/{draft_hrss}"): [401, 403, 200, 200, 200, 403, 200, 200, 200],
    ("PATCH", "/kb/entries/{lanzhou}"): [401, 403, 403, 403, 403, 200, 403, 403, 200],
    ("POST", "/kb/entries/{review_lz}/reject"): [401, 403, 403, 403, 403, 403, 200, 200, 200],
    # a department retires its own entries; a reviewer those of its region
    ("POST", "/kb/entries/{draft_hrss}/retire"): [401, 403, 403, 403, 200, 403, 200, 403, 200],
    ("GET", "/kb/entries?region=620100"): [401, 403, 200, 403, 200, 200, 200, 200, 200],
}


def _body(method, path):
    if method == "POST" and path == "/kb/entries":
        return {
            "question": "新问题",
            "answer": "新答复",
            "source_code": "t-prov",
            "region_code": "620000",
            "department": HRSS,
        }
    if method == "PATCH":
        return {"version": 1, "answer": "改过的答复"}
    return None


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_role_endpoint_matrix(client, tokens, kb_data, session, method, path):
    expected = MATRIX[(method, path)]
    got = []
    for role in ROLES:
        headers = tokens.get(role, {})
        url = path.format(**kb_data)
        sp = session.begin_nested()  # each role sees the same starting state
        r = client.request(method, url, headers=headers, json=_body(method, path))
        sp.rollback()
        session.expire_all()
        got.append(r.status_code)
        if r.status_code in (401, 403):
            assert r.json()["detail"], f"{role} {method} {url}: an error must say what to do"
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


def test_agent_listing_never_shows_other_regions(client, tokens, kb_data):
    items = client.get("/kb/entries", params={"limit": 200}, headers=tokens["agent_tianshui"]).json()["items"]
    ids = {i["id"] for i in items}
    assert kb_data["tianshui"] in ids and kb_data["province"] in ids
    assert kb_data["lanzhou"] not in ids and kb_data["review_lz"] not in ids


def test_federated_listing_picks_most_specific_tier(client, tokens, kb_data):
    r = client.get("/kb/entries", params={"region": "620503", "q": "退休"}, headers=tokens["agent_tianshui"])
    ids = [i["id"] for i in r.json()["items"]]
    assert ids == [kb_data["tianshui"]]
    r = client.get(
        "/kb/entries",
        params={"region": "620503", "q": "退休", "all_tiers": True},
        headers=tokens["agent_tianshui"],
    )
    tiers = {i["id"]: (i["tier"], i["region_code"]) for i in r.json()["items"]}
    assert tiers == {kb_data["province"]: ("province", "620000"), kb_data["tianshui"]: ("city", "620500")}
    r = client.get("/kb/entries", params={"region": "620102", "q": "退休"}, headers=tokens["agent_province"])
    assert [i["id"] for i in r.json()["items"]] == [kb_data["province"]]


def test_editor_sees_and_edits_only_own_department(client, tokens, kb_data):
    items = client.get("/kb/entries", params={"limit": 200}, headers=tokens["editor_health"]).json()["items"]
    assert items and {i["department"] for i in items} == {HEALTH}
    r = client.post(
        "/kb/entries",
        headers=tokens["editor_hrss"],
        json={"question": "q", "answer": "a", "source_code": "t-prov", "department": HEALTH},
    )
    assert r.status_code == 403
    r = client.post(
        "/kb/entries",
        headers=tokens["editor_hrss"],
        json={"question": "q", "answer": "a", "source_code": "t-prov", "status": "published"},
    )
    assert r.status_code == 201 and r.json()["status"] == "draft" and r.json()["department"] == HRSS


def test_stale_edit_is_409_and_changes_nothing(client, tokens, kb_data):
    h = tokens["editor_hrss"]
    url = f"/kb/entries/{kb_data['province']}"
    assert client.patch(url, headers=h, json={"version": 1, "answer": "第一次修改"}).status_code == 200
    r = client.patch(url, headers=h, json={"version": 1, "answer": "基于旧版本的修改"})
    assert r.status_code == 409 and "reload" in r.json()["detail"]
    assert client.get(url, headers=h).json()["answer"] == "第一次修改"


def test_bad_requests_say_what_is_wrong(client, tokens, kb_data):
    h = tokens["admin"]
    r = client.post(
        "/kb/entries",
        headers=h,
        json={"question": "q", "answer": "a", "source_code": "t-prov", "region_code": "999999"},
    )
    assert r.status_code == 422 and "GB/T 2260" in r.json()["detail"]
    r = client.post("/kb/entries", headers=h, json={"question": "  ", "answer": "a", "source_code": "t-prov"})
    assert r.status_code == 422
    assert client.get("/kb/entries/999999", headers=h).status_code == 404
    r = client.post(f"/kb/entries/{kb_data['province']}/submit", headers=h)
    assert r.status_code == 409 and "published" in r.json()["detail"]
    r = client.get("/kb/entries", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]


# ---------------------------------------------------------------- tickets


SECRET_CONTENT, SECRET_PHONE = "机密投诉内容甲乙丙", "13987654321"
T_ROLES = [
    "anonymous",
    "citizen",
    "agent_province",
    "agent_tianshui",
    "agent_lanzhou",
    "editor_hrss",
    "reviewer_province",
    "unit_housing",
    "unit_water",
    "manager_lanzhou",
    "manager_tianshui",
    "admin",
]


@pytest.fixture
def t_tokens(session, tokens):
    """The KB principals plus unit users of 兰州住建 / 兰州水务 and managers of 兰州 / 天水."""
    from api.auth import create_token
    from tickets import service as ticket_service

    ticket_service.seed_demo_units(session=session)
    units = {u.name: u for u in ticket_service.get_units(session=session)}
    h = dict(tokens)
    for key, name in (("unit_housing", "兰州市住房和城乡建设局"), ("unit_water", "兰州市水务局")):
        tok = create_token(
            session=session, name=key, role="unit_user", region_code="620100", unit_id=units[name].id
        )
        h[key] = {"Authorization": f"Bearer {tok}"}
    for key, region in (("manager_lanzhou", "620100"), ("manager_tianshui", "620500")):
        tok = create_token(session=session, name=key, role="manager", region_code=region)
        h[key] = {"Authorization": f"Bearer {tok}"}
    return h, units


@pytest.fixture
def t_data(session, t_tokens):
    """Tickets of 城关区 (兰州, dispatched to 兰州住建), 麦积区 (天水), the province and no region."""
    from tickets import service as ticket_service
    from tickets.schemas import ActionIn, TicketCreate

    _, units = t_tokens

    def make(region_code):
        body = {"channel": "phone", "content": SECRET_CONTENT, "caller_phone": SECRET_PHONE}
        return ticket_service.create(
            session=session, ticket_in=TicketCreate(**body, region_code=region_code), actor="matrix"
        )

    t = {"lz": make("620102"), "ts": make("620503"), "prov": make("620000"), "none": make(None)}
    ticket_service.act(
        session=session, ticket_id=t["lz"].id, action="dispatch", actor="matrix", role="agent",
        data=ActionIn(version=1, unit_id=units["兰州市住房和城乡建设局"].id),
    )  # fmt: skip
    return {k: v.id for k, v in t.items()}


# endpoint -> (body, expected status per role in T_ROLES order)
T_MATRIX = {
    ("GET", "/tickets/units"): (None, [401, 403, 200, 200, 200, 403, 403, 200, 200, 200, 200, 200]),
    ("POST", "/tickets/units"): (
        {"name": "矩阵测试单位", "department": "市水务局", "region_code": "620102"},
        [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201],
    ),
    ("POST", "/tickets"): (
        {"channel": "phone", "content": "路灯不亮", "region_code": "620102"},
        [401, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 201],
    ),
    ("GET", "/tickets"): (None, [401, 403, 200, 200, 200, 403, 403, 200, 200, 200, 200, 200]),
    ("GET", "/tickets/{lz}"): (None, [403, 403, 200, 403, 200, 403, 403, 200, 403, 200, 403, 200]),
    # a city's staff do not see the province's tickets, nor those without a region
    ("GET", "/tickets/{prov}"): (None, [403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/tickets/{none}"): (None, [403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/tickets/{lz}/caller-phone"): (
        None,
        [401, 403, 200, 403, 200, 403, 403, 403, 403, 403, 403, 200],
    ),
    ("POST", "/tickets/{lz}/sign"): (
        {"version": 2},
        [401, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 200],
    ),
    ("POST", "/tickets/{ts}/dispatch"): (
        {"version": 1, "department": "市水务局"},
        [401, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 200],
    ),
    ("POST", "/tickets/{lz}/supervise"): (
        {"version": 2},
        [401, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 200],
    ),
    # merging a 天水 ticket into a 兰州 one needs both in scope
    ("POST", "/tickets/{ts}/merge"): (
        {"version": 1, "master_id": "{lz}"},
        [401, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200],
    ),
    # rating is refused by scope before the ticket's state is told (409: not replied yet)
    ("POST", "/tickets/{lz}/rate"): (
        {"satisfied": True, "resolved": True},
        [403, 403, 409, 403, 409, 403, 403, 403, 403, 403, 403, 409],
    ),
    ("GET", "/kpi"): (None, [401, 403, 200, 200, 200, 403, 403, 403, 403, 200, 200, 200]),
    ("GET", "/kpi?region=620000"): (None, [401, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/kpi?region=620100"): (None, [401, 403, 200, 403, 200, 403, 403, 403, 403, 200, 403, 200]),
    # the official calendar is public on purpose: no principal's data in it
    ("GET", "/calendar/workday/2025-10-11"): (None, [200] * 12),
    ("PUT", "/calendar/overrides/2031-01-02?workday=false"): (
        None,
        [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200],
    ),
}


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize(("method", "path"), list(T_MATRIX))
def test_ticket_role_endpoint_matrix(client, t_tokens, t_data, session, method, path):
    h, _ = t_tokens
    body, expected = T_MATRIX[(method, path)]
    got = []
    for role in T_ROLES:
        url = path.format(**t_data)
        sp = session.begin_nested()  # each role sees the same starting state
        r = client.request(method, url, headers=h.get(role, {}), json=_fill(body, t_data))
        sp.rollback()
        session.expire_all()
        got.append(r.status_code)
        if r.status_code >= 400:
            assert r.json()["detail"], f"{role} {method} {url}: an error must say what to do"
            # a refusal tells nothing of the ticket it refuses
            assert SECRET_CONTENT not in r.text and SECRET_PHONE[-4:] not in r.text, (role, url, r.text)
    assert dict(zip(T_ROLES, got, strict=True)) == dict(zip(T_ROLES, expected, strict=True))


# which fixture tickets each principal's listing shows, and its total counts only those
T_LISTED = {
    "agent_province": {"lz", "ts", "prov", "none"},
    "agent_tianshui": {"ts"},
    "agent_lanzhou": {"lz"},
    "unit_housing": {"lz"},
    "unit_water": set(),
    "manager_lanzhou": {"lz"},
    "manager_tianshui": {"ts"},
    "admin": {"lz", "ts", "prov", "none"},
}


@pytest.mark.parametrize("role", list(T_LISTED))
def test_ticket_listing_and_its_total_show_only_the_callers_scope(client, t_tokens, t_data, role):
    h, _ = t_tokens
    page = client.get("/tickets", params={"limit": 200}, headers=h[role]).json()
    names = {k for k, v in t_data.items() if v in {t["id"] for t in page["items"]}}
    assert names == T_LISTED[role]
    assert page["total"] == len(page["items"])  # the count leaks nothing beyond what is listed
    for filters in ({"status": "received"}, {"overdue": "false"}, {"category": "城建"}):
        filtered = client.get("/tickets", params={**filters, "limit": 200}, headers=h[role]).json()
        assert {t["id"] for t in filtered["items"]} <= {t_data[k] for k in T_LISTED[role]}


def test_kpi_counts_only_the_callers_scope(client, t_tokens, t_data):
    h, _ = t_tokens
    received = {
        role: client.get("/kpi", headers=h[role]).json()["overall"]["received"]
        for role in ("agent_province", "agent_tianshui", "manager_lanzhou", "manager_tianshui")
    }
    # the province's view counts every ticket with a region; a city's only its own
    assert received == {"agent_province": 3, "agent_tianshui": 1, "manager_lanzhou": 1, "manager_tianshui": 1}


# ---------------------------------------------------------------- KB scope details


def test_conflicts_show_only_entries_the_caller_may_read(client, tokens, session):
    prov = factories.source(session, code="c-prov", tier="province", region_code="620000")
    ts = factories.source(session, code="c-ts", tier="city", region_code="620500")
    lz = factories.source(session, code="c-lz", tier="city", region_code="620100")
    key = {"matter_key": "冲突测试事项", "aspect": "consult_phone"}
    e_prov = factories.entry(
        session,
        source_code=prov.code,
        region_code="620000",
        department=HRSS,
        answer="咨询电话：0931-8123456",
        **key,
    )
    e_ts = factories.entry(
        session,
        source_code=ts.code,
        region_code="620500",
        department=HEALTH,
        answer="咨询电话：0938-8765432",
        **key,
    )
    e_lz = factories.entry(
        session,
        source_code=lz.code,
        region_code="620100",
        department=HRSS,
        answer="咨询电话：0931-8000000",
        **key,
    )

    def seen(who):
        r = client.get("/kb/conflicts", headers=tokens[who])
        assert r.status_code == 200, r.text
        return {i for c in r.json() if c["matter_key"] == key["matter_key"] for i in c["entry_ids"]}

    assert seen("admin") == seen("reviewer_province") == {e_prov.id, e_ts.id, e_lz.id}
    assert seen("reviewer_lanzhou") == {e_prov.id, e_lz.id}  # not 天水's entry
    assert seen("editor_hrss") == {e_prov.id, e_lz.id}  # not 医保局's entry
    assert seen("editor_health") == set()  # one entry of its own: nothing to compare


def test_an_editor_cannot_move_an_entry_out_of_its_region(client, session):
    from api.auth import create_token

    token = create_token(
        session=session, name="ts-editor", role="department_editor", region_code="620500", department=HEALTH
    )
    h = {"Authorization": f"Bearer {token}"}
    src = factories.source(session, code="m-ts", tier="city", region_code="620500")
    body = {"question": "天水医保", "answer": "答复", "source_code": src.code, "region_code": "620500"}
    created = client.post("/kb/entries", json=body, headers=h)
    assert created.status_code == 201, created.text
    url = f"/kb/entries/{created.json()['id']}"
    r = client.patch(url, json={"version": 1, "region_code": "620100"}, headers=h)
    assert r.status_code == 403 and "outside your scope" in r.json()["detail"]
    assert client.get(url, headers=h).json()["region_code"] == "620500"


def test_refusing_an_edit_does_not_name_the_owner(client, tokens, kb_data):
    r = client.patch(
        f"/kb/entries/{kb_data['lanzhou']}", json={"version": 1, "answer": "x"}, headers=tokens["editor_hrss"]
    )
    assert r.status_code == 403 and HEALTH not in r.text and "your department" in r.json()["detail"]


def test_editor_cannot_file_under_another_departments_source(client, tokens, session):
    factories.source(
        session, code="t-dept-health", tier="department", region_code="620000", department=HEALTH
    )
    r = client.post(
        "/kb/entries",
        headers=tokens["editor_hrss"],
        json={"question": "q", "answer": "a", "source_code": "t-dept-health"},
    )
    assert r.status_code == 403 and "own" in r.json()["detail"]
    r = client.post(
        "/kb/entries",
        headers=tokens["editor_health"],
        json={"question": "q", "answer": "a", "source_code": "t-dept-health"},
    )
    assert r.status_code == 201
