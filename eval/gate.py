"""The quality gate: a small, deterministic evaluation that fails when a metric drops below its floor.

The floors live in ``eval/floors.json`` (versioned; raising one is a normal commit). Each bound is
``{"min": x}`` (higher is better) or ``{"max": x}`` (lower is better) for one metric of one
``suite/config``. The subset: the dev questions, and a KB of every entry they expect plus a
hash-chosen share of the other entries as distractors, indexed from scratch (no cached vectors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOORS = Path(__file__).with_name("floors.json")


@dataclass(frozen=True)
class Breach:
    suite: str
    config: str
    metric: str
    value: float | None
    bound: str
    limit: float

    def __str__(self) -> str:
        shown = "missing" if self.value is None else f"{self.value:.4f}"
        return f"{self.suite}/{self.config} {self.metric} = {shown}, {self.bound} {self.limit}"


def load_floors(name: str = "fast", path: Path = FLOORS) -> dict[str, Any]:
    """One gate of the floors file: ``{"subset": {...}, "floors": {"suite/config": {"metric": {"min"|"max": x}}}}``.

    ``fast`` runs in ``make test`` (BM25 only: nothing to embed on a fresh clone); ``full`` adds the
    embedder and the assistant's decisions and runs as a slow test.
    """
    gates = json.loads(path.read_text("utf-8"))["gates"]
    if name not in gates:
        raise ValueError(f"no gate {name!r} in {path.name}: use one of {', '.join(gates)}")
    return gates[name]


def check(
    configs: dict[str, dict[str, dict[str, Any]]], floors: dict[str, dict[str, dict[str, float]]]
) -> list[Breach]:
    """Every bound in ``floors`` that ``configs`` (suite -> config -> metrics, as in a run summary)
    breaks; a metric or configuration that did not run counts as a breach, never as a pass."""
    breaches = []
    for target, bounds in floors.items():
        suite, _, config = target.partition("/")
        metrics = configs.get(suite, {}).get(config)
        for metric, bound in bounds.items():
            value = metrics.get(metric) if metrics else None
            for kind, limit in bound.items():
                if kind not in ("min", "max"):
                    raise ValueError(f"floors.json {target}.{metric}: bound {kind!r} must be 'min' or 'max'")
                ok = value is not None and (value >= limit if kind == "min" else value <= limit)
                if not ok:
                    breaches.append(
                        Breach(suite, config, metric, value, ">=" if kind == "min" else "<=", limit)
                    )
    return breaches
