"""Service functions for stored evaluation runs. Keyword-only; they flush, the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eval import report
from eval.errors import RunNotFound
from eval.models import EvalItem, EvalRun
from eval.runner import RunResult
from kb.db import utcnow


def start(*, session: Session, set_name: str, suite: str, actor: str | None) -> EvalRun:
    """Record a run that is about to start (status ``running``)."""
    run = EvalRun(set_name=set_name, suite=suite, status="running", created_by=actor, summary={})
    session.add(run)
    session.flush()
    return run


def finish(*, session: Session, run_id: int, result: RunResult) -> EvalRun:
    """Store a finished run: summary, per-item results of every suite and configuration, reports."""
    run = get(session=session, run_id=run_id)
    run.summary = result.summary()
    run.report_md = report.markdown(result)
    run.report_html = report.html(result, run_id=run.id)
    run.status = "done"
    run.finished_at = utcnow()
    for s in result.suites:
        for item in s.items:
            session.add(
                EvalItem(
                    run_id=run.id,
                    suite=s.suite,
                    config=s.config,
                    item_id=str(item["id"]),
                    correct=bool(item["correct"]),
                    detail=item,
                )
            )
    session.flush()
    return run


def fail(*, session: Session, run_id: int, error: str) -> EvalRun:
    """Mark a run failed, keeping what went wrong."""
    run = get(session=session, run_id=run_id)
    run.status = "failed"
    run.error = error
    run.finished_at = utcnow()
    session.flush()
    return run


def get(*, session: Session, run_id: int) -> EvalRun:
    """The run with that id, or RunNotFound."""
    run = session.get(EvalRun, run_id)
    if run is None:
        raise RunNotFound(f"no evaluation run {run_id}: GET /eval/runs lists the stored runs")
    return run


def get_all(*, session: Session, offset: int = 0, limit: int = 50) -> tuple[list[EvalRun], int]:
    """Runs, newest first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(EvalRun)) or 0
    runs = session.scalars(select(EvalRun).order_by(EvalRun.id.desc()).offset(offset).limit(limit))
    return list(runs), total


def items(
    *,
    session: Session,
    run_id: int,
    suite: str | None = None,
    config: str | None = None,
    wrong_only: bool = False,
) -> list[dict[str, Any]]:
    """Per-item results of a run (optionally one suite/configuration, or only the wrong ones)."""
    get(session=session, run_id=run_id)
    stmt = select(EvalItem).where(EvalItem.run_id == run_id)
    if suite:
        stmt = stmt.where(EvalItem.suite == suite)
    if config:
        stmt = stmt.where(EvalItem.config == config)
    if wrong_only:
        stmt = stmt.where(EvalItem.correct.is_(False))
    rows = session.scalars(stmt.order_by(EvalItem.id))
    return [{"suite": i.suite, "config": i.config, **i.detail} for i in rows]


def _items(session: Session, run_id: int) -> dict[tuple[str, str, str], EvalItem]:
    rows = session.scalars(select(EvalItem).where(EvalItem.run_id == run_id))
    return {(i.suite, i.config, i.item_id): i for i in rows}


def compare(*, session: Session, base_id: int, other_id: int) -> dict[str, Any]:
    """What got better or worse from run ``base_id`` to ``other_id``, per question.

    Items are matched by suite, configuration and item id; metric deltas compare the two runs'
    headline numbers.
    """
    base, other = get(session=session, run_id=base_id), get(session=session, run_id=other_id)
    a, b = _items(session, base.id), _items(session, other.id)
    improved: list[dict[str, Any]] = []
    regressed: list[dict[str, Any]] = []
    for key in sorted(a.keys() & b.keys()):
        before, after = a[key], b[key]
        if before.correct == after.correct:
            continue
        row = {
            "suite": key[0],
            "config": key[1],
            "id": key[2],
            "expected": after.detail.get("expected"),
            "before": _brief(before.detail),
            "after": _brief(after.detail),
        }
        (improved if after.correct else regressed).append(row)
    deltas = {
        k: {"base": v, "other": other.summary.get(k), "delta": other.summary[k] - v}
        for k, v in base.summary.items()
        if isinstance(v, int | float)
        and not isinstance(v, bool)
        and isinstance(other.summary.get(k), int | float)
    }
    return {
        "base": base.id,
        "other": other.id,
        "metrics": deltas,
        "improved": improved,
        "regressed": regressed,
        "only_in_base": len(a.keys() - b.keys()),
        "only_in_other": len(b.keys() - a.keys()),
    }


def _brief(detail: dict[str, Any]) -> dict[str, Any]:
    keep = ("decision", "got", "rank", "confidence")
    return {k: detail[k] for k in keep if k in detail}
