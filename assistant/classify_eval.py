"""Evaluation of the ticket classifier: L1 macro-F1 on the gold 495, routing/urgency/sentiment on dev tickets.

Evaluators return an overall score and per-item results; they never feed anything back into
training or thresholds.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.classify import TicketClassifier


@dataclass
class Report:
    metrics: dict[str, Any]
    items: list[dict] = field(default_factory=list)


def macro_f1(gold: list[str], predicted: list[str | None]) -> float:
    """Macro-F1 over the gold classes; a prediction outside them counts as a miss."""
    classes = sorted(set(gold))
    scores = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p != c)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate_gold(classifier: TicketClassifier, path: Path) -> Report:
    """Category L1 macro-F1 on gov_messages_gold.jsonl (the TEST set)."""
    rows = _jsonl(path)
    items = []
    for row in rows:
        c = classifier.classify(row["text"])
        items.append({"id": row["id"], "gold": row["category_l1"], "predicted": c.category_l1,
                      "confidence": c.confidence, "needs_review": c.needs_review,
                      "category_by": c.category_by})  # fmt: skip
    gold = [i["gold"] for i in items]
    pred = [i["predicted"] for i in items]
    auto = [i for i in items if not i["needs_review"]]
    return Report(
        {
            "n": len(items),
            "l1_macro_f1": round(macro_f1(gold, pred), 4),
            "l1_accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(items), 4),
            "auto_dispatch_share": round(len(auto) / len(items), 4),
            "auto_dispatch_accuracy": round(sum(i["gold"] == i["predicted"] for i in auto) / len(auto), 4)
            if auto
            else 0.0,
            # who chose the category (model, keywords, model+llm, llm): with the LLM on, how often
            # it answered within the taxonomy, and how often it overruled the model
            "category_by": dict(sorted(Counter(i["category_by"] for i in items).items())),
        },
        items,
    )


def evaluate_tickets(classifier: TicketClassifier, path: Path) -> Report:
    """Routing, urgency, sentiment and category on the dev tickets."""
    rows = _jsonl(path)
    items = []
    for row in rows:
        c = classifier.classify(row["text"], region_name=row.get("region_name"))
        items.append(
            {
                "id": row["id"],
                "department": (row["department"], c.department),
                "urgent": (row["urgent"], c.urgent),
                "sentiment": (row["sentiment"], c.sentiment),
                "l1": (row["category_l1"], c.category_l1),
                "l2": (row["category_l2"], c.category_l2),
                "route_rule": c.route_rule,
            }
        )
    n = len(items)
    urgent_gold = [i for i in items if i["urgent"][0]]
    flagged = [i for i in items if i["urgent"][1]]

    def acc(key: str) -> float:
        return round(sum(i[key][0] == i[key][1] for i in items) / n, 4)

    return Report(
        {
            "n": n,
            "routing_accuracy": acc("department"),
            "urgent_recall": round(sum(i["urgent"][1] for i in urgent_gold) / len(urgent_gold), 4)
            if urgent_gold
            else 1.0,
            "urgent_precision": round(sum(i["urgent"][0] for i in flagged) / len(flagged), 4)
            if flagged
            else 1.0,
            "sentiment_accuracy": acc("sentiment"),
            "l1_accuracy": acc("l1"),
            "l2_accuracy": acc("l2"),
        },
        items,
    )


def confusion(items: list[dict], key: str) -> Counter:
    return Counter((i[key][0], i[key][1]) for i in items if i[key][0] != i[key][1])
