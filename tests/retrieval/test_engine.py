from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from kb import service as kb_service
from retrieval import BadQuery, SearchFilters, build_engine
from retrieval.embed import OpenAIEmbedder
from retrieval.engine import SearchEngine


@pytest.fixture
def search_engine(session: Session, kb: dict[str, int], nano, vec_dir) -> SearchEngine:  # type: ignore[no-untyped-def]
    return build_engine(session=session, embedder=nano, cache_dir=vec_dir)


def ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [h.entry_id for h in result.hits]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_noise_complaint(
    search_engine: SearchEngine, kb: dict[str, int], mode: str
) -> None:
    r = search_engine.search("我想投诉小区噪音扰民", mode=mode, top_k=3)  # type: ignore[arg-type]
    assert r.mode == mode and r.degraded is None
    assert ids(r)[0] == kb["noise"]


def test_region_none_means_no_jurisdiction_filter(search_engine: SearchEngine, kb: dict[str, int]) -> None:
    got = set(ids(search_engine.search("公积金提取要什么材料", top_k=10)))
    assert {kb["gjj_prov"], kb["gjj_city"], kb["gjj_county"], kb["gjj_tianshui"]} <= got


@pytest.mark.parametrize(
    ("region", "winner"),
    [
        ("620102", "gjj_county"),
        ("620103", "gjj_city"),
        ("620100", "gjj_city"),
        ("620500", "gjj_tianshui"),
        ("620200", "gjj_prov"),
        ("620000", "gjj_prov"),
    ],
)
def test_most_specific_tier_wins_and_other_regions_never_show(
    search_engine: SearchEngine, kb: dict[str, int], region: str, winner: str
) -> None:
    got = ids(search_engine.search("公积金提取要什么材料", region=region, top_k=10))
    gjj = {kb[k] for k in ("gjj_prov", "gjj_city", "gjj_county", "gjj_tianshui")}
    assert [i for i in got if i in gjj] == [kb[winner]]


def test_default_filters_hide_drafts_expired_and_keep_cases(
    search_engine: SearchEngine, kb: dict[str, int]
) -> None:
    assert kb["draft"] not in ids(search_engine.search("居住证办理条件", top_k=20))
    assert kb["draft"] in ids(
        search_engine.search("居住证办理条件", top_k=20, filters=SearchFilters(status="draft"))
    )
    assert kb["expired"] not in ids(search_engine.search("老年人乘车补贴", top_k=20))
    old = SearchFilters(valid_on=date(2019, 6, 1))
    assert kb["expired"] in ids(search_engine.search("老年人乘车补贴", top_k=20, filters=old))


def test_kind_tier_department_topic_filters(search_engine: SearchEngine, kb: dict[str, int]) -> None:
    assert ids(search_engine.search("物业投诉", top_k=20, filters=SearchFilters(kinds=("case",)))) == [
        kb["case"]
    ]
    assert kb["case"] not in ids(
        search_engine.search("物业投诉", top_k=20, filters=SearchFilters(kinds=("qa",)))
    )
    assert set(ids(search_engine.search("缓缴", top_k=20, filters=SearchFilters(tiers=("department",))))) == {
        kb["social"]
    }
    assert ids(search_engine.search("护照", top_k=20, filters=SearchFilters(department="公安厅"))) == [
        kb["passport"]
    ]
    assert ids(search_engine.search("减免政策", top_k=20, filters=SearchFilters(topic="yqfk"))) == [
        kb["covid"]
    ]


def test_hits_explain_themselves(search_engine: SearchEngine, kb: dict[str, int]) -> None:
    r = search_engine.search("晚上广场舞噪音太大了", region="620100", top_k=3, explain=True)
    top = r.hits[0]
    assert top.entry_id == kb["noise"]
    assert top.matched_question == "晚上广场舞噪音大"  # the similar question, not the main one
    assert "噪声" in top.matched_terms
    assert top.bm25 and top.bm25 > 0 and top.cosine and 0 < top.cosine <= 1.0001
    assert top.rank_bm25 == 1 and top.rank_dense == 1
    assert top.score == pytest.approx(2 / (search_engine.p.rrf_k + 1))  # RRF: rank 1 in both lists


def test_bad_input_says_what_is_wrong(search_engine: SearchEngine) -> None:
    with pytest.raises(BadQuery, match="empty"):
        search_engine.search("   ")
    with pytest.raises(BadQuery, match="500"):
        search_engine.search("问" * 501)
    with pytest.raises(BadQuery, match="unknown region"):
        search_engine.search("护照", region="999999")
    with pytest.raises(BadQuery, match="tier"):
        SearchFilters(tiers=("galaxy",))
    with pytest.raises(BadQuery, match="kind"):
        SearchFilters(kinds=("faq",))


def test_embedder_failure_falls_back_to_bm25(session: Session, kb: dict[str, int], nano, vec_dir) -> None:  # type: ignore[no-untyped-def]
    engine = build_engine(session=session, embedder=nano, cache_dir=vec_dir)
    # a real client against a port where nothing listens: the failure is real, not simulated
    engine.embedder = OpenAIEmbedder(base_url="http://127.0.0.1:9/v1", model="x", timeout_s=0.5)
    r = engine.search("护照在哪办", top_k=3)
    assert r.mode == "bm25" and r.degraded and "BM25 only" in r.degraded
    assert ids(r)[0] == kb["passport"]


def test_save_and_load_keep_results_and_check_the_revision(
    search_engine: SearchEngine,
    session: Session,
    tmp_path: Path,
    nano,  # type: ignore[no-untyped-def]
) -> None:
    search_engine.save(tmp_path / "idx")
    rev = kb_service.revision(session=session)
    loaded = SearchEngine.load(
        tmp_path / "idx", embedder=nano, regions=search_engine.regions, kb_revision=rev
    )
    for q in ("公积金提取", "噪音投诉", "护照"):
        a, b = search_engine.search(q, top_k=5), loaded.search(q, top_k=5)
        assert ids(a) == ids(b)
        np.testing.assert_allclose([h.score for h in a.hits], [h.score for h in b.hits])
    import json

    meta = json.loads((tmp_path / "idx" / "params.index.json").read_text())
    assert {"format_version", "tokenizer_version", "model_id", "dim", "entry_count", "kb_revision"} <= set(
        meta
    )
    assert meta["dim"] == 384 and meta["kb_revision"] == rev
    from retrieval import IndexMismatch

    with pytest.raises(IndexMismatch, match="revision"):
        SearchEngine.load(tmp_path / "idx", embedder=nano, regions=search_engine.regions, kb_revision=rev + 1)
    with pytest.raises(IndexMismatch, match="built with"):
        SearchEngine.load(tmp_path / "idx", embedder=None, regions=search_engine.regions)


def test_build_engine_reuses_a_current_saved_index(
    session: Session, kb: dict[str, int], tmp_path: Path
) -> None:
    first = build_engine(session=session, embedder=None, index_dir=tmp_path / "i")
    assert (tmp_path / "i" / "params.index.json").exists()
    second = build_engine(session=session, embedder=None, index_dir=tmp_path / "i")
    assert second is not first and second.describe()["saved_at"] == first.describe()["saved_at"]
    assert ids(second.search("护照", top_k=1)) == [kb["passport"]]


def test_upsert_makes_an_edit_searchable_without_rebuild(
    search_engine: SearchEngine, kb: dict[str, int], session: Session
) -> None:
    from retrieval.engine import load_docs

    entry = kb_service.get(session=session, entry_id=kb["passport"])
    assert entry is not None
    entry.question = "港澳通行证签注在哪里办理"
    session.flush()
    search_engine.upsert(load_docs(session=session, entry_ids=[kb["passport"]]))
    assert ids(search_engine.search("港澳签注", top_k=1, mode="bm25")) == [kb["passport"]]
    assert kb["passport"] not in ids(search_engine.search("护照", top_k=10, mode="bm25"))
    assert (
        len([h for h in search_engine.search("港澳签注", top_k=10).hits if h.entry_id == kb["passport"]]) == 1
    )


def test_regional_variants_share_one_vector_row(search_engine: SearchEngine, kb: dict[str, int]) -> None:
    """Region names stay out of embedded text, so 兰州市/城关区/天水市 variants share the province's row."""
    assert search_engine.dense_text("兰州市住房公积金提取需要哪些材料") == "住房公积金提取需要哪些材料"
    row = search_engine.rows.row_of["住房公积金提取需要哪些材料"]
    slots = {search_engine.catalog.docs[s].entry_id for s in search_engine.rows.slots_of(row)}
    assert slots == {kb["gjj_prov"], kb["gjj_city"], kb["gjj_county"], kb["gjj_tianshui"]}
    assert search_engine.dense is not None and search_engine.dense.size == len(search_engine.rows)
