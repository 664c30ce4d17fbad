"""Fixtures: the bundled demo KB (a real KB) in a database of its own, with a real search engine.

The KB is loaded and indexed once per run (BM25 with the real tokenizer: the embedder is not
configured, as in a deployment without vectors); each test gets a session rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import TestDatabase, rolled_back_session


@dataclass
class DemoKB:
    db: TestDatabase
    engine: Any  # retrieval.SearchEngine


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoKB]:
    from api.demo import load_demo
    from retrieval import build_engine

    db = TestDatabase(tmp_path_factory.mktemp("demo-kb"))
    with Session(db.engine) as s:
        load_demo(session=s)
        s.commit()
    with Session(db.engine) as s:
        search = build_engine(session=s, embedder=None)
    yield DemoKB(db, search)
    db.drop()


@pytest.fixture
def demo_session(demo_kb: DemoKB) -> Iterator[Session]:
    """A session on the demo database whose work is rolled back after the test."""
    with rolled_back_session(demo_kb.db.engine) as s:
        yield s


def sure_calibrator() -> Any:
    """A real model that is sure of every top hit: only the decision rules stand between it and an answer."""
    from assistant.calibration import FEATURES, VERIFY_FEATURES, Calibrator

    names = (*FEATURES, *VERIFY_FEATURES)
    n = len(names)
    return Calibrator(coef=[0.0] * n, intercept=6.0, mean=[0.0] * n, scale=[1.0] * n, features=names)
