"""Exactly tied entries are ordered by what tells them apart (retrieval/ties.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from retrieval import build_engine
from retrieval.ties import break_ties, chars, contrast
from tests import factories

ORGANS = ("心脏", "肝脏", "肾脏")


@pytest.fixture
def family(session: Session) -> dict[str, int]:
    """Three entries of one family differing in one word; the 心脏 one has the lowest slot."""
    src = factories.source(session, code="gd-ties", tier="province", region_code=None).code
    for other in ("居住证在哪里办理？", "护照补办需要哪些材料？", "医保报销比例是多少？", "公积金怎么提取？"):
        factories.entry(session, source_code=src, question=other, answer="见办事指南")
    return {
        organ: factories.entry(
            session,
            source_code=src,
            question=f"人体器官{organ}移植医师执业资格认定在哪里办理？",
            answer=f"{organ}移植医师执业资格认定：省卫生健康委政务服务窗口",
        ).id
        for organ in ORGANS
    }


def test_contrast_counts_own_distinctive_characters_against_the_others() -> None:
    own = [chars("临时海域使用权审批"), chars("海域使用权变更审批"), chars("海域使用权转让审批")]
    assert contrast(chars("海域使用权转给别人去哪审批"), own) == [-1, -1, 1]
    # nothing distinctive asked: no say
    assert contrast(chars("海域使用权审批"), own) == [0, 0, 0]


def test_only_runs_of_equal_scores_are_reordered() -> None:
    questions = {1: "心脏移植", 2: "肝脏移植", 3: "肾脏移植", 4: "肝脏捐献"}
    score = {1: 5.0, 2: 5.0, 3: 5.0, 4: 7.0}
    ranked = [4, 1, 2, 3]
    assert break_ties("肝移植", ranked, score, lambda s: chars(questions[s]), depth=10) == [4, 2, 1, 3]
    # a higher score stays above, whatever its characters
    score[1] = 5.5
    assert break_ties("肝移植", [4, 1, 2, 3], score, lambda s: chars(questions[s]), depth=10) == [4, 1, 2, 3]
    # runs starting past ``depth`` are left as they were
    score[1] = 5.0
    assert break_ties("肝移植", ranked, score, lambda s: chars(questions[s]), depth=1) == ranked
    # a run starting within ``depth`` is read past it: the asked entry moves in
    assert break_ties("肝移植", ranked, score, lambda s: chars(questions[s]), depth=2) == [4, 2, 1, 3]


def test_ties_read_traditional_and_full_width_questions_as_simplified() -> None:
    questions = {1: "心脏移植医师", 2: "肝脏移植医师", 3: "肾脏移植医师"}
    score = dict.fromkeys(questions, 1.0)
    assert break_ties("腎臟移植醫師", [1, 2, 3], score, lambda s: chars(questions[s]), depth=3) == [3, 1, 2]
    sizes = {1: "Ａ类证书", 2: "B类证书"}
    assert break_ties("ｂ类", [1, 2], dict.fromkeys(sizes, 1.0), lambda s: chars(sizes[s]), depth=2) == [2, 1]


def test_a_long_run_is_ordered_within_its_bound() -> None:
    """One common word can tie hundreds of entries: only ``RUN_OVERHANG`` places past ``depth`` are read."""
    from retrieval.ties import RUN_OVERHANG

    n = 300
    questions = {i: f"事项{i}" for i in range(n)}
    questions[n - 1] = "肝脏事项"  # the asked one, far down the run
    score = dict.fromkeys(questions, 2.0)
    ranked = list(range(n))
    got = break_ties("肝", ranked, score, lambda s: chars(questions[s]), depth=10)
    assert got == ranked  # out of reach: left where it was
    questions[10 + RUN_OVERHANG - 1] = "肝脏事项"
    got = break_ties("肝", ranked, score, lambda s: chars(questions[s]), depth=10)
    assert got[0] == 10 + RUN_OVERHANG - 1


def test_the_asked_member_of_a_tied_family_comes_first(session: Session, family: dict[str, int]) -> None:
    q = "2016年前就做肝移植的医生申请资格认定去哪里办"
    off = build_engine(session=session, embedder=None, break_ties=False).search(q, top_k=3, mode="bm25").hits
    # the tie is real: BM25 scores the three the same, and the slot order puts 心脏 first
    assert len({h.score for h in off}) == 1
    assert off[0].entry_id == family["心脏"]
    on = build_engine(session=session, embedder=None).search(q, top_k=3, mode="bm25").hits
    assert on[0].entry_id == family["肝脏"]
    assert [h.score for h in on] == [h.score for h in off]  # scores untouched
    # switched off, the order is the slot order again
    assert [h.entry_id for h in off] == sorted(h.entry_id for h in off)
