from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25, top_positive
from retrieval.tokenize import Tokenizer

DOCS = [
    "住房公积金提取需要哪些材料",
    "小区噪音扰民应该向哪个部门投诉",
    "身份证丢了在哪里补办",
    "公积金贷款额度怎么计算",
    "新冠肺炎疫情期间中小企业社保费减免政策",
    "居住证办理需要什么条件",
    "营业执照办理地点在哪里",
    "公积金 公积金 缴存比例",
]


def test_scores_equal_rank_bm25_on_the_same_tokens() -> None:
    tok = Tokenizer()
    corpus = [tok.tokenize(d) for d in DOCS]
    ref = BM25Okapi(corpus, k1=1.5, b=0.75, epsilon=0.25)
    ours = BM25(k1=1.5, b=0.75, epsilon=0.25).fit(corpus)
    for q in ["公积金提取", "噪音投诉", "身份证补办在哪里", "公积金公积金", "护照"]:
        qt = tok.tokenize(q)
        np.testing.assert_allclose(ours.scores(qt), ref.get_scores(qt), rtol=1e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    corpus=st.lists(
        st.lists(st.sampled_from(list("abcdefgh")), min_size=1, max_size=12), min_size=1, max_size=15
    ),
    query=st.lists(st.sampled_from(list("abcdefghz")), min_size=1, max_size=5),
)
def test_scores_equal_rank_bm25_on_random_corpora(corpus: list[list[str]], query: list[str]) -> None:
    ref = BM25Okapi(corpus)
    ours = BM25().fit(corpus)
    np.testing.assert_allclose(ours.scores(query), ref.get_scores(query), rtol=1e-5, atol=1e-5)


def test_added_documents_score_with_the_frozen_statistics() -> None:
    corpus = [["a", "b"], ["b", "c"], ["c", "d", "d"]]
    ours = BM25().fit(corpus)
    ref = BM25Okapi(corpus)
    [new] = ours.add([["c", "d", "d"]])
    assert new == 3
    s = ours.scores(["d"])
    # the appended copy of doc 2 scores like doc 2 (same statistics, same length)
    assert s[3] == pytest.approx(ref.get_scores(["d"])[2], rel=1e-5)
    ours.remove([2])
    assert ours.scores(["d"])[2] == 0
    assert [d for d, _ in ours.search(["d"], top_k=5)] == [3]


def test_field_weights_count_like_repeated_terms() -> None:
    weighted = BM25.bag([(["公积金", "提取"], 3.0), (["材料"], 1.0)])
    assert weighted == {"公积金": 3.0, "提取": 3.0, "材料": 1.0}
    ours = BM25().fit([weighted, BM25.bag([(["材料"], 1.0), (["公积金"], 1.0)])])
    ref = BM25Okapi([["公积金"] * 3 + ["提取"] * 3 + ["材料"], ["材料", "公积金"]])
    np.testing.assert_allclose(ours.scores(["公积金", "材料"]), ref.get_scores(["公积金", "材料"]), rtol=1e-5)


def test_top_positive_orders_and_skips_zeros() -> None:
    assert top_positive(np.array([0.0, 2.0, 1.0, 2.0, 0.0]), 3) == [(1, 2.0), (3, 2.0), (2, 1.0)]
    assert top_positive(np.array([0.0, 0.0]), 3) == []


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="k1"):
        BM25(k1=-1)


def simple_top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The rule written plainly: positive scores, best first, lower index first among equals."""
    idx = sorted(np.flatnonzero(scores > 0).tolist(), key=lambda i: (-scores[i], i))[:k]
    return [(i, float(scores[i])) for i in idx]


@pytest.mark.parametrize("seed", range(6))
def test_top_positive_on_large_arrays_with_ties_equals_the_plain_rule(seed: int) -> None:
    """Above 32k scores the candidates are cut by a sampled threshold first: still exact."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40_000, 120_000))
    scores = np.round(rng.random(n) * rng.choice([5, 50, 5000]), 0).astype(np.float32)  # many ties
    scores[rng.random(n) < 0.5] = 0.0
    for k in (1, 10, 100, 300):
        assert top_positive(scores, k) == simple_top(scores, k)


def test_dense_rows_of_common_terms_give_the_same_scores_and_are_not_pickled() -> None:
    import pickle

    from retrieval import reference
    from retrieval.bm25 import DENSE_MIN_DOCS

    rng = np.random.default_rng(3)
    words = ["办理", "电话", "材料", "护照", "社保", "公积金", "噪声", "地址"]
    probs = np.array([0.9, 0.5, 0.3, 0.01, 0.02, 0.02, 0.001, 0.2])
    docs = [
        [w for w, p in zip(words, probs, strict=True) if rng.random() < p] or ["其他"] for _ in range(60_000)
    ]
    bm = BM25().fit(docs)
    assert bm.n_docs >= DENSE_MIN_DOCS and {bm.vocab["办理"], bm.vocab["电话"]} <= set(bm._dense)
    assert bm.vocab["护照"] not in bm._dense  # a rare term stays a posting list
    for q in (["办理", "护照"], ["电话", "电话", "地址"], ["办理", "材料", "社保", "噪声"]):
        np.testing.assert_array_equal(bm.scores(q), reference.bm25_scores(bm, q))
    again = pickle.loads(pickle.dumps(bm))
    assert "_dense" not in bm.__getstate__() and set(again._dense) == set(bm._dense)
    assert again.search(["办理", "护照"], top_k=20) == bm.search(["办理", "护照"], top_k=20)
