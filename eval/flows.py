"""Evaluation flows: validate a set against the KB, build the systems, run the suites; and the gate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from eval import gate, kbset, runner, systems
from eval.datasets import EvalSet, load_set, validate_set


def evaluate(
    *,
    session: Session,
    eval_set: EvalSet,
    suite: str,
    options: systems.Options,
    progress: Callable[[str], None] | None = None,
) -> runner.RunResult:
    """Run ``suite`` (or ``all``) of ``eval_set`` against the KB in ``session``'s database."""
    suites = runner.expand(suite)
    validation = validate_set(eval_set, known_keys=kbset.known_keys(session=session))
    built = systems.build(session=session, suites=suites, options=options)
    return runner.run(
        eval_set=eval_set, suites=suites, systems=built, validation=validation, progress=progress
    )


def gate_set(shared_dir: Path, subset: dict[str, Any]) -> EvalSet:
    """The gate's questions: the shared dev set, limited to the kinds the gate scores."""
    full = load_set(shared_dir / "eval")
    return EvalSet(
        name="gate",
        kb_queries=full.kb_queries,
        out_of_kb=full.out_of_kb,
        tickets=full.tickets if subset.get("tickets", True) else [],
        gov_messages_gold=full.gov_messages_gold if subset.get("gov_messages_gold", False) else [],
        warnings=full.warnings,
    )


def run_gate(
    *,
    session: Session,
    shared_dir: Path,
    floors: dict[str, Any],
    options: systems.Options,
    progress: Callable[[str], None] | None = None,
) -> tuple[runner.RunResult, list[gate.Breach]]:
    """Build the gate KB in ``session``'s (empty) database, run the gate suites, check the floors."""
    subset = floors["subset"]
    eval_set = gate_set(shared_dir, subset)
    expected = {k for q in eval_set.kb_queries for k in q.expect}
    notes = kbset.ensure_eval_kb(
        session=session,
        shared_data=shared_dir / "data",
        keep=kbset.gate_keep(expected, distractor_share=float(subset["distractor_share"])),
        progress=progress,
    )
    session.flush()
    suites = subset["suites"]
    if not options.embedders and subset.get("embedder", "none") != "none":
        from kb.config import EmbedderSettings
        from retrieval import make_embedder

        name = subset["embedder"]
        options = replace(options, embedders=[(name, make_embedder(EmbedderSettings(backend=name)))])
    validation = validate_set(eval_set, known_keys=kbset.known_keys(session=session))
    built = systems.build(session=session, suites=suites, options=options)
    result = runner.run(
        eval_set=eval_set, suites=suites, systems=built, validation=validation, progress=progress
    )
    result.notes = notes + result.notes
    return result, gate.check(result.summary()["configs"], floors["floors"])
