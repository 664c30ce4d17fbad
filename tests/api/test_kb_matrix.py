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
