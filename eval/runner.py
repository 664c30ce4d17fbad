"""Run evaluation suites over real components and collect metrics plus per-item results.

A suite takes the questions or tickets and a callable of the component under test (a search
engine's ``search``, the assistant's ``decide``, the classifier's ``classify``), so the same code
evaluates any configuration side by side. Every suite returns an overall score (``metrics``) and
per-item results (``items``) that show each wrong answer next to what was expected.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from eval import metrics as m
from eval.datasets import EvalSet, Query, Ticket, ValidationReport

SUITES = ("retrieval", "answer", "classification", "routing")
K_VALUES = (1, 5, 10)
PRECISION_TARGET = 0.9


class HitLike(Protocol):
    external_key: str | None
    entry_id: int
    question: str
    score: float
    region_code: str | None


class DecisionLike(Protocol):
    decision: str
    confidence: float
    entry_id: int | None
    entry_external_key: str | None
    answer: str | None
    candidates: list[dict]
    reason: str


class ClassificationLike(Protocol):
    category_l1: str | None
    category_l2: str | None
    category_l3: str | None
    department: str | None
    urgent: bool
    sentiment: str
    confidence: float
    needs_review: bool
    error: str | None


# (question, asker region) -> hits, best first
SearchFn = Callable[[str, str | None], Sequence[HitLike]]
# (question, asker region, threshold or None for the assistant's own) -> decision
DecideFn = Callable[[str, str | None, float | None], DecisionLike]
# (text, region name) -> classification
ClassifyFn = Callable[[str, str | None], ClassificationLike]


@dataclass
class SuiteResult:
    """One suite under one configuration."""

    suite: str
    config: str
    metrics: dict[str, Any]
    items: list[dict[str, Any]]
    extras: dict[str, Any] = field(default_factory=dict)  # curve points, confusion matrix, labels
    seconds: float = 0.0


@dataclass
class RunResult:
    """Every suite and configuration of one evaluation run."""

    set_name: str
    suites: list[SuiteResult]
    primary: dict[str, str]  # suite -> the configuration whose metrics are the headline keys
    validation: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def result(self, suite: str, config: str | None = None) -> SuiteResult | None:
        config = config or self.primary.get(suite)
        return next((s for s in self.suites if s.suite == suite and s.config == config), None)

    def summary(self) -> dict[str, Any]:
        """One flat JSON object: headline metrics of each suite's primary configuration, then
        ``configs`` with every configuration's metrics side by side."""
        out: dict[str, Any] = {"set": self.set_name}
        for suite, config in self.primary.items():
            res = self.result(suite, config)
            if res is not None:
                out.update(res.metrics)
        configs: dict[str, dict[str, Any]] = {}
        for s in self.suites:
            configs.setdefault(s.suite, {})[s.config] = s.metrics
        out["configs"] = configs
        out["primary"] = dict(self.primary)
        out["counts"] = dict(self.counts)
        out["missing_keys"] = len(self.validation.get("missing_keys", []))
        out["unscorable_queries"] = len(self.validation.get("unscorable_queries", []))
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "set_name": self.set_name,
            "primary": self.primary,
            "validation": self.validation,
            "notes": self.notes,
            "counts": self.counts,
            "suites": [asdict(s) for s in self.suites],
        }


# ---------------------------------------------------------------- retrieval


def run_retrieval(*, queries: Sequence[Query], search: SearchFn, config: str, top_k: int = 10) -> SuiteResult:
    """Recall@1/5/10, MRR@10 and nDCG@10 of ``search`` on the answerable questions."""
    started = time.perf_counter()
    ranked: list[list[str]] = []
    relevant: list[set[str]] = []
    items = []
    for q in queries:
        hits = list(search(q.query, q.region))[:top_k]
        keys = [h.external_key or f"entry:{h.entry_id}" for h in hits]
        rel = set(q.expect)
        ranked.append(keys)
        relevant.append(rel)
        rank = m.first_relevant_rank(keys, rel)
        items.append(
            {
                "id": q.id,
                "query": q.query,
                "region": q.region,
                "style": q.style,
                "expected": list(q.expect),
                "got": [
                    {"key": k, "question": h.question, "score": round(float(h.score), 4)}
                    for k, h in zip(keys, hits, strict=True)
                ],
                "rank": rank,
                "correct": rank == 1,
            }
        )
    metrics: dict[str, Any] = {f"recall_at_{k}": m.recall_at_k(ranked, relevant, k) for k in K_VALUES}
    metrics["mrr_at_10"] = m.mrr_at_k(ranked, relevant, 10)
    metrics["ndcg_at_10"] = m.ndcg_at_k(ranked, relevant, 10)
    metrics["retrieval_questions"] = len(queries)
    by_style = {}
    for style in sorted({q.style for q in queries if q.style}):
        idx = [i for i, q in enumerate(queries) if q.style == style]
        by_style[style] = m.recall_at_k([ranked[i] for i in idx], [relevant[i] for i in idx], 5)
    return SuiteResult(
        "retrieval", config, metrics, items, {"recall_at_5_by_style": by_style}, time.perf_counter() - started
    )


# ---------------------------------------------------------------- answer-or-escalate


def _top_key(decision: DecisionLike) -> str | None:
    if decision.entry_external_key:
        return decision.entry_external_key
    for c in decision.candidates or []:
        key = c.get("external_key") or c.get("entry_external_key")
        if key:
            return str(key)
    return None


def run_answer(
    *,
    kb_queries: Sequence[Query],
    out_of_kb: Sequence[Query],
    decide: DecideFn,
    config: str,
    entry_regions: dict[str, str | None],
    region_chain: Callable[[str | None], list[str] | None],
) -> SuiteResult:
    """Direct-answer accuracy, wrong-answer rate, escalation rate and the precision–coverage curve.

    Each question is decided at the assistant's own threshold (the operating point); where it did
    not answer, it is decided again at threshold 0 to learn which entry it would have given and
    with what confidence, so the curve covers every threshold.
    """
    started = time.perf_counter()
    outcomes: list[m.AnswerOutcome] = []
    items: list[dict[str, Any]] = []
    clarified: list[bool] = []  # per in-KB question answered with candidates: is an expected one offered
    top_confidences: list[float] = []
    for q in [*kb_queries, *out_of_kb]:
        d = decide(q.query, q.region, None)
        chain = region_chain(q.region)

        def is_correct(key: str | None, q: Query = q, chain: list[str] | None = chain) -> bool:
            return bool(key) and key in q.expect and m.region_correct(entry_regions.get(key or ""), chain)

        correct = d.decision == "answer" and is_correct(d.entry_external_key)
        offered = [
            str(k) for c in d.candidates or [] if (k := c.get("external_key") or c.get("entry_external_key"))
        ]
        if q.in_kb and d.decision == "clarify":
            clarified.append(any(is_correct(k) for k in offered))
        if d.decision == "answer":
            top_key, top_conf = d.entry_external_key, float(d.confidence)
        else:
            open_d = decide(q.query, q.region, 0.0)
            top_key = open_d.entry_external_key if open_d.decision == "answer" else _top_key(open_d)
            top_conf = float(open_d.confidence)
        top_correct = is_correct(top_key)
        outcomes.append(m.AnswerOutcome(q.in_kb, d.decision, float(d.confidence), correct, top_correct))
        top_confidences.append(round(top_conf, 4))
        items.append(
            {
                "id": q.id,
                "query": q.query,
                "region": q.region,
                "in_kb": q.in_kb,
                "expected": list(q.expect) if q.in_kb else [q.should or "escalate"],
                "decision": d.decision,
                "got": d.entry_external_key,
                "answer": (d.answer or "")[:300],
                "confidence": round(float(d.confidence), 4),
                "reason": d.reason,
                "top_key": top_key,
                "top_confidence": round(top_conf, 4),
                "candidates": offered,
                "correct": correct if q.in_kb else d.decision != "answer",
            }
        )
    curve = m.precision_coverage(top_confidences, [o.top_correct or False for o in outcomes])
    answered = [o for o in outcomes if o.decision == "answer"]
    op = {
        "coverage": len(answered) / len(outcomes) if outcomes else 0.0,
        "precision": sum(o.correct for o in answered) / len(answered) if answered else 1.0,
    }
    target = m.threshold_for_precision(curve, PRECISION_TARGET)
    metrics: dict[str, Any] = {
        "direct_answer_accuracy": m.direct_answer_accuracy(outcomes),
        "wrong_answer_rate": m.wrong_answer_rate(outcomes),
        "escalation_rate": m.escalation_rate(outcomes),
        "out_of_kb_answered_rate": m.decision_rates(outcomes, in_kb=False)["answer"],
        "in_kb_decisions": m.decision_rates(outcomes, in_kb=True),
        "answer_coverage": op["coverage"],
        "answer_precision": op["precision"],
        f"threshold_at_precision_{PRECISION_TARGET}": target.threshold if target else None,
        "answer_questions": len(outcomes),
        # a clarify is only as good as its candidates: how often the right entry is among them, and
        # the in-KB questions that reach the right entry in one step (answered, or offered to choose)
        "clarify_offers_expected": sum(clarified) / len(clarified) if clarified else None,
        "answer_or_offer_accuracy": (
            (sum(1 for o in outcomes if o.in_kb and o.correct) + sum(clarified))
            / max(1, sum(1 for o in outcomes if o.in_kb))
        ),
    }
    extras = {
        "curve": [asdict(p) for p in curve],
        "operating_point": op,
        "precision_target": PRECISION_TARGET,
        "target_point": asdict(target) if target else None,
    }
    return SuiteResult("answer", config, metrics, items, extras, time.perf_counter() - started)


# ---------------------------------------------------------------- classification and routing


def classify_all(tickets: Sequence[Ticket], classify: ClassifyFn) -> list[ClassificationLike]:
    """The classifier's output for each ticket, in order."""
    return [classify(t.text, t.region_name) for t in tickets]


def _labels(*lists: Sequence[str | None]) -> list[str]:
    return sorted({x for lst in lists for x in lst if x}, key=str)


def run_classification(
    *,
    tickets: Sequence[Ticket],
    gold_messages: Sequence[Ticket],
    ticket_preds: Sequence[ClassificationLike],
    gold_preds: Sequence[ClassificationLike],
    config: str,
) -> SuiteResult:
    """Macro-F1 per category level and the 一级 confusion matrix.

    ``macro_f1_l1`` is measured on the gold messages when the set has them (the designated test set
    for 一级分类), otherwise on the tickets; the tickets' own 一级 and 二级 scores are reported too.
    """
    started = time.perf_counter()
    metrics: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    items = []
    l1_items = gold_messages if gold_messages else tickets
    l1_preds = gold_preds if gold_messages else ticket_preds
    y_true = [t.category_l1 for t in l1_items]
    y_pred = [p.category_l1 for p in l1_preds]
    labels = _labels(y_true)
    metrics["macro_f1_l1"] = m.macro_f1(y_true, y_pred, labels)
    metrics["accuracy_l1"] = m.accuracy(y_true, y_pred)
    metrics["macro_f1_l1_set"] = "gov_messages_gold" if gold_messages else "tickets"
    extras["labels_l1"] = labels
    extras["confusion_l1"] = m.confusion_matrix(y_true, y_pred, labels)
    extras["unlabelled_predictions_l1"] = sum(1 for p in y_pred if p not in labels)
    extras["per_class_f1_l1"] = {str(k): v for k, v in m.per_class_f1(y_true, y_pred, labels).items()}
    # who chose each category: with LIANXIN_LLM__CLASSIFY, how often the LLM agreed or overruled
    by = Counter(str(getattr(p, "category_by", "model")) for p in l1_preds)
    extras["category_by"] = dict(sorted(by.items()))
    if tickets:
        for level in ("l1", "l2", "l3"):
            gold = [getattr(t, f"category_{level}") for t in tickets]
            if not any(gold):
                continue
            idx = [i for i, g in enumerate(gold) if g]
            pred = [getattr(ticket_preds[i], f"category_{level}") for i in idx]
            key = f"macro_f1_{level}_tickets" if level == "l1" else f"macro_f1_{level}"
            metrics[key] = m.macro_f1([gold[i] for i in idx], pred)
    metrics["needs_review_rate"] = (
        sum(1 for p in l1_preds if p.needs_review) / len(l1_preds) if l1_preds else 0.0
    )
    for t, p in zip(l1_items, l1_preds, strict=True):
        items.append(
            {
                "id": t.id,
                "text": t.text[:200],
                "expected": {"category_l1": t.category_l1, "category_l2": t.category_l2},
                "got": {
                    "category_l1": p.category_l1,
                    "category_l2": p.category_l2,
                    "confidence": round(p.confidence, 4),
                },
                "error": p.error,
                "correct": p.category_l1 == t.category_l1,
            }
        )
    return SuiteResult("classification", config, metrics, items, extras, time.perf_counter() - started)


def run_routing(
    *,
    tickets: Sequence[Ticket],
    ticket_preds: Sequence[ClassificationLike],
    urgent_extra: Sequence[tuple[str, bool]] = (),
    urgent_extra_preds: Sequence[ClassificationLike] = (),
    config: str,
) -> SuiteResult:
    """Routing (department) accuracy, urgency recall and precision, sentiment accuracy.

    Urgency is scored on the tickets plus the labelled out-of-KB requests (``urgent_extra``):
    the dev tickets hold only a handful of emergencies, too few to measure recall alone.
    """
    started = time.perf_counter()
    routed = [(t, p) for t, p in zip(tickets, ticket_preds, strict=True) if t.department]
    felt = [(t, p) for t, p in zip(tickets, ticket_preds, strict=True) if t.sentiment]
    urgent_gold = [bool(t.urgent) for t in tickets if t.urgent is not None] + [u for _, u in urgent_extra]
    urgent_pred = [p.urgent for t, p in zip(tickets, ticket_preds, strict=True) if t.urgent is not None] + [
        p.urgent for p in urgent_extra_preds
    ]
    flagged = [g for g, p in zip(urgent_gold, urgent_pred, strict=True) if p]
    metrics: dict[str, Any] = {
        "routing_accuracy": m.accuracy([t.department for t, _ in routed], [p.department for _, p in routed]),
        "urgent_recall": m.recall_of(urgent_gold, urgent_pred),
        "urgent_precision": sum(flagged) / len(flagged) if flagged else 0.0,
        "sentiment_accuracy": m.accuracy([t.sentiment for t, _ in felt], [p.sentiment for _, p in felt]),
        "routing_tickets": len(routed),
        "urgent_positives": sum(urgent_gold),
    }
    labels = _labels([t.department for t, _ in routed])
    extras = {
        "labels_department": labels,
        "confusion_department": m.confusion_matrix(
            [t.department for t, _ in routed], [p.department for _, p in routed], labels
        ),
    }
    items = [
        {
            "id": t.id,
            "text": t.text[:200],
            "expected": {"department": t.department, "urgent": t.urgent, "sentiment": t.sentiment},
            "got": {"department": p.department, "urgent": p.urgent, "sentiment": p.sentiment},
            "correct": p.department == t.department and (t.urgent is None or p.urgent == t.urgent),
        }
        for t, p in zip(tickets, ticket_preds, strict=True)
    ]
    return SuiteResult("routing", config, metrics, items, extras, time.perf_counter() - started)


# ---------------------------------------------------------------- a whole run


@dataclass
class Systems:
    """The components under evaluation, by configuration name; the first of each is primary."""

    search: dict[str, SearchFn] = field(default_factory=dict)
    decide: dict[str, DecideFn] = field(default_factory=dict)
    classify: dict[str, ClassifyFn] = field(default_factory=dict)
    entry_regions: dict[str, str | None] = field(default_factory=dict)
    region_chain: Callable[[str | None], list[str] | None] = lambda _code: None
    notes: list[str] = field(default_factory=list)


def expand(suite: str) -> tuple[str, ...]:
    """``all`` -> every suite; otherwise the one named (checked)."""
    if suite == "all":
        return SUITES
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}: use one of {', '.join(SUITES)} or all")
    return (suite,)


def run(
    *,
    eval_set: EvalSet,
    suites: Sequence[str],
    systems: Systems,
    validation: ValidationReport | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``suites`` over every configuration in ``systems``; questions whose expected entries are
    all missing from the KB are left out and listed in ``validation``."""
    say = progress or (lambda _msg: None)
    unscorable = set(validation.unscorable) if validation else set()
    kb_queries = [q for q in eval_set.kb_queries if q.id not in unscorable]
    result = RunResult(
        eval_set.name,
        [],
        {},
        validation.as_dict() if validation else {},
        list(eval_set.warnings) + list(systems.notes),
        dict(eval_set.counts),
    )
    if "retrieval" in suites and kb_queries:
        for name, search in systems.search.items():
            say(f"retrieval: {name}")
            result.suites.append(run_retrieval(queries=kb_queries, search=search, config=name))
        if systems.search:
            result.primary["retrieval"] = next(iter(systems.search))
    if "answer" in suites and (kb_queries or eval_set.out_of_kb):
        for name, decide in systems.decide.items():
            say(f"answer: {name}")
            result.suites.append(
                run_answer(
                    kb_queries=kb_queries,
                    out_of_kb=eval_set.out_of_kb,
                    decide=decide,
                    config=name,
                    entry_regions=systems.entry_regions,
                    region_chain=systems.region_chain,
                )
            )
        if systems.decide:
            result.primary["answer"] = next(iter(systems.decide))
    want_cls = "classification" in suites and (eval_set.tickets or eval_set.gov_messages_gold)
    want_route = "routing" in suites and eval_set.tickets
    if want_cls or want_route:
        for name, classify in systems.classify.items():
            say(f"classifying {len(eval_set.tickets) + len(eval_set.gov_messages_gold)} texts: {name}")
            ticket_preds = classify_all(eval_set.tickets, classify)
            if want_cls:
                gold_preds = classify_all(eval_set.gov_messages_gold, classify)
                result.suites.append(
                    run_classification(
                        tickets=eval_set.tickets,
                        gold_messages=eval_set.gov_messages_gold,
                        ticket_preds=ticket_preds,
                        gold_preds=gold_preds,
                        config=name,
                    )
                )
            if want_route:
                extra = [q for q in eval_set.out_of_kb if q.urgent is not None]
                result.suites.append(
                    run_routing(
                        tickets=eval_set.tickets,
                        ticket_preds=ticket_preds,
                        urgent_extra=[(q.query, bool(q.urgent)) for q in extra],
                        urgent_extra_preds=[classify(q.query, None) for q in extra],
                        config=name,
                    )
                )
        if systems.classify:
            first = next(iter(systems.classify))
            if want_cls:
                result.primary["classification"] = first
            if want_route:
                result.primary["routing"] = first
    return result
