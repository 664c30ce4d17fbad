"""Evaluation metrics: pure functions over plain values, each checked on hand-computed examples.

Retrieval metrics treat the expected entries of a question as its relevant set (the set lists
every acceptable entry, e.g. covid ids with an identical answer); relevance is binary.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------- retrieval


def _check(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int) -> None:
    if len(ranked) != len(relevant):
        raise ValueError(
            f"{len(ranked)} rankings but {len(relevant)} relevant sets: pass one of each per question"
        )
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def recall_at_k(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int) -> float:
    """Share of questions with at least one relevant entry in the top ``k``.

    With equivalent acceptable entries per question this is the success rate at k (what an agent
    reading the first k hits experiences), not the fraction of the relevant set recovered.

    >>> recall_at_k([["a", "b"], ["c", "d"]], [{"b"}, {"x"}], 1), recall_at_k([["a", "b"], ["c", "d"]], [{"b"}, {"x"}], 2)
    (0.0, 0.5)
    """
    _check(ranked, relevant, k)
    if not ranked:
        return 0.0
    return sum(1 for r, rel in zip(ranked, relevant, strict=True) if rel & set(r[:k])) / len(ranked)


def mrr_at_k(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int = 10) -> float:
    """Mean reciprocal rank of the first relevant entry within the top ``k`` (0 when absent)."""
    _check(ranked, relevant, k)
    if not ranked:
        return 0.0
    total = 0.0
    for r, rel in zip(ranked, relevant, strict=True):
        for i, key in enumerate(r[:k], start=1):
            if key in rel:
                total += 1.0 / i
                break
    return total / len(ranked)


def ndcg_at_k(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int = 10) -> float:
    """Mean nDCG@k with binary gains (Järvelin & Kekäläinen 2002): DCG = sum 1/log2(rank+1),
    normalised by the DCG of all relevant entries ranked first."""
    _check(ranked, relevant, k)
    if not ranked:
        return 0.0
    total = 0.0
    for r, rel in zip(ranked, relevant, strict=True):
        if not rel:
            continue
        dcg = sum(1.0 / math.log2(i + 1) for i, key in enumerate(r[:k], start=1) if key in rel)
        ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), k) + 1))
        total += dcg / ideal
    return total / len(ranked)


def first_relevant_rank(ranked: Sequence[str], relevant: set[str]) -> int | None:
    """1-based rank of the first relevant entry, or None."""
    for i, key in enumerate(ranked, start=1):
        if key in relevant:
            return i
    return None


# ---------------------------------------------------------------- answer-or-escalate


@dataclass(frozen=True)
class AnswerOutcome:
    """One question's decision, reduced to what the answer metrics need."""

    in_kb: bool
    decision: str  # "answer" | "clarify" | "escalate"
    confidence: float
    correct: bool  # answered with an expected entry that is region-correct (False when not answered)
    # what the assistant would answer at threshold 0 and whether that would be correct (for the curve)
    top_correct: bool | None = None


def region_correct(entry_region: str | None, asker_chain: Sequence[str] | None) -> bool:
    """An answer fits the asker when its entry has no region or lies on the asker's region chain.

    >>> region_correct("440100", ["440100", "440000"]), region_correct("440100", ["440000"])
    (True, False)
    """
    if entry_region is None or not asker_chain:
        return True
    return entry_region in asker_chain


def direct_answer_accuracy(outcomes: Sequence[AnswerOutcome]) -> float:
    """Share of answerable questions given a correct direct answer."""
    in_kb = [o for o in outcomes if o.in_kb]
    return sum(1 for o in in_kb if o.decision == "answer" and o.correct) / len(in_kb) if in_kb else 0.0


def wrong_answer_rate(outcomes: Sequence[AnswerOutcome]) -> float:
    """Share of ALL questions (answerable or not) given a direct answer that is wrong."""
    if not outcomes:
        return 0.0
    return sum(1 for o in outcomes if o.decision == "answer" and not o.correct) / len(outcomes)


def escalation_rate(outcomes: Sequence[AnswerOutcome]) -> float:
    """Share of out-of-KB questions the assistant escalated."""
    out = [o for o in outcomes if not o.in_kb]
    return sum(1 for o in out if o.decision == "escalate") / len(out) if out else 0.0


def decision_rates(outcomes: Sequence[AnswerOutcome], *, in_kb: bool) -> dict[str, float]:
    """Share of each decision among the answerable (``in_kb``) or out-of-KB questions."""
    group = [o for o in outcomes if o.in_kb == in_kb]
    n = len(group) or 1
    return {d: sum(1 for o in group if o.decision == d) / n for d in ("answer", "clarify", "escalate")}


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float  # share of all questions answered
    precision: float  # share of answers that are correct (1.0 when nothing is answered)
    answered: int


def precision_coverage(confidences: Sequence[float], correct: Sequence[bool]) -> list[CurvePoint]:
    """Precision and coverage if every question with confidence >= t were answered with its top
    entry, for each distinct confidence t (descending), over all questions given.

    ``correct[i]`` says whether question i's top entry is right (always False out of the KB).

    >>> [(p.threshold, p.coverage, p.precision) for p in precision_coverage([0.9, 0.5, 0.5, 0.1], [True, False, True, False])]
    [(0.9, 0.25, 1.0), (0.5, 0.75, 0.6666666666666666), (0.1, 1.0, 0.5)]
    """
    if len(confidences) != len(correct):
        raise ValueError("one confidence and one correctness flag per question")
    n = len(confidences)
    points: list[CurvePoint] = []
    for t in sorted(set(confidences), reverse=True):
        chosen = [c for conf, c in zip(confidences, correct, strict=True) if conf >= t]
        right = sum(chosen)
        points.append(CurvePoint(t, len(chosen) / n, right / len(chosen) if chosen else 1.0, len(chosen)))
    return points


def threshold_for_precision(points: Sequence[CurvePoint], target: float) -> CurvePoint | None:
    """The point of widest coverage whose precision is at least ``target`` (None if none reaches it)."""
    ok = [p for p in points if p.precision >= target]
    return max(ok, key=lambda p: (p.coverage, p.threshold)) if ok else None


# ---------------------------------------------------------------- classification


def confusion_matrix(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable]
) -> list[list[int]]:
    """Counts ``m[i][j]`` of true ``labels[i]`` predicted as ``labels[j]``; pairs outside labels are dropped."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            m[index[t]][index[p]] += 1
    return m


def per_class_f1(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable]
) -> dict[Hashable, float]:
    """F1 of each label (0 where a label is never predicted correctly)."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    out: dict[Hashable, float] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == label and p != label)
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def macro_f1(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    """Unweighted mean F1 over ``labels`` (default: every gold label). A missing prediction (None)
    counts as wrong, never as a class of its own.

    >>> round(macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"]), 4)
    0.7333
    """
    if labels is None:
        labels = sorted({t for t in y_true if t is not None}, key=str)
    if not labels:
        return 0.0
    f1 = per_class_f1(y_true, y_pred, labels)
    return sum(f1.values()) / len(labels)


def accuracy(y_true: Sequence[Hashable], y_pred: Sequence[Hashable]) -> float:
    """Share of exact matches (0 for no items)."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    return sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p) / len(y_true) if y_true else 0.0


def recall_of(y_true: Sequence[bool], y_pred: Sequence[bool]) -> float:
    """Recall of the positive class (share of true positives found); 0 when there are none."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} gold labels but {len(y_pred)} predictions")
    pos = [p for t, p in zip(y_true, y_pred, strict=True) if t]
    return sum(1 for p in pos if p) / len(pos) if pos else 0.0
