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
