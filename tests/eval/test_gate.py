"""The CI quality gate: the dev questions against a small deterministic KB, checked against floors.

The KB holds every entry the dev questions expect plus a hash-chosen share of the other entries as
distractors, ingested with the real adapters and indexed from scratch (no cached vectors): what a
fresh clone in CI does. A worse configuration of the real engine must break the floors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api import migrate
from eval import flows, gate, runner
from eval.systems import Options
from kb import service as kb_service
from kb.db import make_engine

# BM25 that ignores the entries' questions and reads only the head of their answers
WORSE = {"question_weight": 0.0, "similar_weight": 0.0}


@pytest.fixture(scope="module")
def floors() -> dict[str, Any]:
    return gate.load_floors("fast")


@pytest.fixture(scope="module")
def gate_session(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory, floors: dict[str, Any]
) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path_factory.mktemp('gate') / 'gate.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        kb_service.load_bundled_regions(session=session)
        yield session
    engine.dispose()


def _run(
    session: Session, shared_dir: Path, floors: dict[str, Any], **params: Any
) -> tuple[runner.RunResult, list[gate.Breach]]:
    return flows.run_gate(
        session=session, shared_dir=shared_dir, floors=floors, options=Options(engine_params=params)
    )


@pytest.mark.parametrize("name", ["fast", "full"])
def test_floors_file_is_well_formed(name: str):
    spec = gate.load_floors(name)
    assert spec["floors"], "a gate must hold at least one floor"
    for target, bounds in spec["floors"].items():
        suite, _, config = target.partition("/")
        assert suite in spec["subset"]["suites"] and suite in runner.SUITES and config
        assert all(set(b) <= {"min", "max"} for b in bounds.values())
    with pytest.raises(ValueError, match="no gate 'nope'"):
        gate.load_floors("nope")


def test_the_gate_subset_meets_every_floor(gate_session: Session, shared_dir: Path, floors: dict[str, Any]):
    result, breaches = _run(gate_session, shared_dir, floors)
    assert result.validation["missing_keys"] == [], "every expected entry must be in the gate KB"
    assert breaches == [], "metrics below their floors:\n" + "\n".join(map(str, breaches))


def test_the_gate_fails_for_a_worse_configuration(
    gate_session: Session, shared_dir: Path, floors: dict[str, Any]
):
    result, breaches = _run(gate_session, shared_dir, floors, **WORSE)
    failed = {(b.suite, b.metric) for b in breaches}
    assert ("retrieval", "recall_at_5") in failed
    assert ("answer", "direct_answer_accuracy") in failed or "answer" not in result.primary


@pytest.mark.slow
def test_the_full_gate_with_embedder_and_assistant_meets_its_floors(shared_dir: Path, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        kb_service.load_bundled_regions(session=session)
        result, breaches = flows.run_gate(
            session=session, shared_dir=shared_dir, floors=gate.load_floors("full"), options=Options()
        )
    engine.dispose()
    assert "answer" in result.primary
    assert breaches == [], "metrics below their floors:\n" + "\n".join(map(str, breaches))


def test_check_reports_missing_metrics_and_both_bound_kinds():
    floors = {
        "retrieval/bm25": {"recall_at_5": {"min": 0.9}},
        "answer/no_llm": {"wrong_answer_rate": {"max": 0.1}},
    }
    ok = {"retrieval": {"bm25": {"recall_at_5": 0.95}}, "answer": {"no_llm": {"wrong_answer_rate": 0.05}}}
    assert gate.check(ok, floors) == []
    bad = {"retrieval": {"bm25": {"recall_at_5": 0.85}}, "answer": {"no_llm": {"wrong_answer_rate": 0.2}}}
    assert [str(b) for b in gate.check(bad, floors)] == [
        "retrieval/bm25 recall_at_5 = 0.8500, >= 0.9",
        "answer/no_llm wrong_answer_rate = 0.2000, <= 0.1",
    ]
    # a configuration that did not run is a breach, never a pass
    assert [b.value for b in gate.check({}, floors)] == [None, None]
    with pytest.raises(ValueError, match="must be 'min' or 'max'"):
        gate.check(ok, {"retrieval/bm25": {"recall_at_5": {"atleast": 0.9}}})
