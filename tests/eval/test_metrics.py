"""Metrics on hand-computed examples (and, for F1, against scikit-learn)."""

from __future__ import annotations

import math

import pytest
from sklearn.metrics import f1_score

from eval import metrics as m
from eval.metrics import AnswerOutcome


def test_recall_at_k_counts_a_question_once_any_relevant_entry_is_in_the_top_k():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["p", "q", "r"]]
    relevant = [{"b"}, {"z", "y"}, {"nope"}]
    assert m.recall_at_k(ranked, relevant, 1) == 0.0
    assert m.recall_at_k(ranked, relevant, 2) == pytest.approx(2 / 3)
    assert m.recall_at_k(ranked, relevant, 10) == pytest.approx(2 / 3)


def test_mrr_uses_the_first_relevant_rank_within_k():
    ranked = [["a", "b", "c"], ["x", "y", "z"], ["p", "q", "r"]]
    relevant = [{"b"}, {"z", "y"}, {"r"}]
    # 1/2 + 1/2 + 1/3
    assert m.mrr_at_k(ranked, relevant, 10) == pytest.approx((0.5 + 0.5 + 1 / 3) / 3)
    # r at rank 3 falls outside k=2
    assert m.mrr_at_k(ranked, relevant, 2) == pytest.approx((0.5 + 0.5) / 3)


def test_ndcg_with_binary_gains():
    # one relevant at rank 2: 1/log2(3) over ideal 1
    assert m.ndcg_at_k([["a", "b"]], [{"b"}], 10) == pytest.approx(1 / math.log2(3))
    # two relevant at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3))
    assert m.ndcg_at_k([["a", "x", "b"]], [{"a", "b"}], 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert m.ndcg_at_k([["a", "b"]], [{"a"}], 10) == 1.0


def test_retrieval_metrics_refuse_mismatched_inputs():
    with pytest.raises(ValueError, match="one of each"):
        m.recall_at_k([["a"]], [], 5)
    with pytest.raises(ValueError, match="k must be"):
        m.mrr_at_k([["a"]], [{"a"}], 0)


def _o(in_kb, decision, correct, conf=0.5):
    return AnswerOutcome(in_kb=in_kb, decision=decision, confidence=conf, correct=correct)


def test_answer_metrics_on_a_hand_made_run():
    outcomes = [
        _o(True, "answer", True),  # right
        _o(True, "answer", False),  # wrong entry
        _o(True, "escalate", False),
        _o(True, "clarify", False),
        _o(False, "escalate", False),
        _o(False, "answer", False),  # answered out of the KB: wrong
        _o(False, "clarify", False),
    ]
    assert m.direct_answer_accuracy(outcomes) == pytest.approx(1 / 4)
    assert m.wrong_answer_rate(outcomes) == pytest.approx(2 / 7)
    assert m.escalation_rate(outcomes) == pytest.approx(1 / 3)
    assert m.decision_rates(outcomes, in_kb=False) == pytest.approx(
        {"answer": 1 / 3, "clarify": 1 / 3, "escalate": 1 / 3}
    )


def test_region_correct_follows_the_asker_chain():
    assert m.region_correct(None, ["440100", "440000"])
    assert m.region_correct("440000", ["440100", "440000"])
    assert not m.region_correct("440100", ["440000"])
    assert m.region_correct("440100", None)


def test_precision_coverage_curve_and_operating_point():
    points = m.precision_coverage([0.9, 0.8, 0.4, 0.2], [True, True, False, True])
    assert [(p.threshold, p.coverage, p.answered) for p in points] == [
        (0.9, 0.25, 1),
        (0.8, 0.5, 2),
        (0.4, 0.75, 3),
        (0.2, 1.0, 4),
    ]
    assert [p.precision for p in points] == pytest.approx([1.0, 1.0, 2 / 3, 0.75])
    best = m.threshold_for_precision(points, 0.9)
    assert best is not None and best.threshold == 0.8
    assert m.threshold_for_precision(points, 0.75).threshold == 0.2
    assert m.threshold_for_precision(m.precision_coverage([0.5], [False]), 0.5) is None


def test_confusion_matrix_and_macro_f1_by_hand():
    y_true = ["a", "a", "b", "b", "c"]
    y_pred = ["a", "b", "b", "b", None]
    assert m.confusion_matrix(y_true, y_pred, ["a", "b", "c"]) == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    # a: 2/3, b: 4/5, c: 0
    assert m.macro_f1(y_true, y_pred) == pytest.approx((2 / 3 + 0.8 + 0) / 3)


def test_macro_f1_matches_scikit_learn():
    y_true = list("aabbccddab")
    y_pred = list("abbbcdddaa")
    labels = sorted(set(y_true))
    assert m.macro_f1(y_true, y_pred) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="macro")
    )


def test_accuracy_and_recall_of_positives():
    assert m.accuracy(["x", "y", "z"], ["x", "y", "y"]) == pytest.approx(2 / 3)
    assert m.recall_of([True, True, False, True], [True, False, True, True]) == pytest.approx(2 / 3)
    assert m.recall_of([False], [True]) == 0.0
