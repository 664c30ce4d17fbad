"""Shared fixtures: a real database (SQLite by default, PostgreSQL with LIANXIN_TEST_DATABASE_URL).

Every pytest run gets its own database (a temp SQLite file, or a fresh PostgreSQL schema), so
concurrent runs never collide. Each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api import migrate
from kb import service as kb_service
from kb.db import make_engine

PG_URL = os.environ.get("LIANXIN_TEST_DATABASE_URL", "")
ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LIANXIN_SHARED", ROOT.parent / "shared"))
DB_FIXTURES = {"engine", "session", "db_url", "client", "fresh_db", "live_server", "api_client"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if "pg" in item.keywords and not PG_URL:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: set LIANXIN_TEST_DATABASE_URL (make test-pg)")
            )


class TestDatabase:
    """A database of its own: a SQLite file or a PostgreSQL schema, migrated to head."""

    __test__ = False  # a helper, not a test class, even when a test module imports it

    def __init__(self, tmp: Path):
        if PG_URL:
            self.schema = f"lx_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            admin = make_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            sep = "&" if "?" in PG_URL else "?"
            # application_name tags every connection of this database, so drop() can find leftovers
            self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}&application_name={self.schema}"
        else:
            self.schema = ""
            self.url = f"sqlite:///{tmp / f'lianxin-{uuid.uuid4().hex[:8]}.db'}"
        self.engine = make_engine(self.url)
        with self.engine.begin() as conn:
            migrate.upgrade(self.url, connection=conn)
        with Session(self.engine) as s:
            kb_service.load_bundled_regions(session=s)
            s.commit()

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema:
            admin = make_engine(PG_URL)
            with admin.begin() as conn:
                # A connection a test leaked (a session left open in a transaction) would block the
                # DROP forever: end this database's own leftover backends first, and say so.
                leaked = conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid), left(query, 120) FROM pg_stat_activity "
                        "WHERE application_name = :app AND pid <> pg_backend_pid()"
                    ),
                    {"app": self.schema},
                ).all()
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()
            if leaked:  # reported, not raised: the leak is a test bug to fix, a hung CI helps nobody
                sys.stderr.write(
                    f"\nconftest: ended {len(leaked)} leftover connection(s) of {self.schema}; last queries: "
                    + "; ".join(q for _, q in leaked)
                    + "\n"
                )


@pytest.fixture(scope="session")
def _database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    db = TestDatabase(tmp_path_factory.mktemp("db"))
    yield db
    db.drop()


@pytest.fixture(scope="session")
def engine(_database: TestDatabase) -> Engine:
    return _database.engine


@pytest.fixture(scope="session")
def db_url(_database: TestDatabase) -> str:
    return _database.url


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end (its commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with rolled_back_session(engine) as s:
        yield s


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[TestDatabase]:
    """A separate, migrated database for tests that commit for real (servers, races, CLI)."""
    db = TestDatabase(tmp_path)
    yield db
    db.drop()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (or LIANXIN_SHARED); tests that need it skip with a reason where it is absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip(
            f"shared data not found at {SHARED}: set LIANXIN_SHARED to the folder holding data/ and eval/"
        )
    return SHARED


@pytest.fixture
def app(db_url: str):
    """The real FastAPI app, configured for the test database, without warm-up of heavy indexes."""
    from api.app import create_app
    from kb.config import Settings

    return create_app(Settings(env="test", database_url=db_url), warm=False)


@pytest.fixture
def client(app, session: Session):
    """An HTTP client on the app whose requests share the test's rolled-back session.

    Each request runs in a savepoint that is released on success and rolled back when the route
    raises, as the real ``get_session`` commits or rolls back: a failed request leaves nothing.
    """
    from fastapi.testclient import TestClient

    from api.deps import get_session

    def _session():
        savepoint = session.begin_nested()
        try:
            yield session
            session.flush()
            savepoint.commit()
        except BaseException:
            savepoint.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as c:
        yield c
    app.dependency_overrides.clear()


@pytest.fixture
def tokens(session: Session) -> dict[str, dict[str, str]]:
    """One principal per role and scope; values are ready-made Authorization headers."""
    from api.auth import create_token

    specs = {
        "citizen": {"role": "citizen", "region_code": "620500"},
        "agent_province": {"role": "agent", "region_code": "620000"},
        "agent_tianshui": {"role": "agent", "region_code": "620500"},
        "agent_lanzhou": {"role": "agent", "region_code": "620100"},
        "editor_hrss": {
            "role": "department_editor",
            "region_code": "620000",
            "department": "甘肃省人力资源和社会保障厅",
        },
        "editor_health": {
            "role": "department_editor",
            "region_code": "620000",
            "department": "甘肃省医疗保障局",
        },
        "reviewer_province": {"role": "reviewer", "region_code": "620000"},
        "reviewer_lanzhou": {"role": "reviewer", "region_code": "620100"},
        "admin": {"role": "admin"},
    }
    out = {}
    for name, spec in specs.items():
        token = create_token(session=session, name=name, **spec)
        out[name] = {"Authorization": f"Bearer {token}"}
    return out
