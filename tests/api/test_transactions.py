"""One request, one transaction, through the real ``get_session`` on a database of its own:
the work of a request that fails is gone, and a commit that fails is never answered with a 2xx."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import create_token
from api.deps import SessionDep
from kb import service as kb_service
from kb.config import Settings
from kb.errors import ValidationFailed
from kb.models import Entry, EntryChange, Region
from kb.schemas import EntryCreate
from tests import factories


@pytest.fixture
def probe(fresh_db):
    """The real app plus two routes that misbehave after writing, over a committed database."""
    with Session(fresh_db.engine) as s:
        factories.source(s, code="tx-src")
        s.commit()
    app = create_app(Settings(env="test", database_url=fresh_db.url), warm=False)
    router = APIRouter()

    @router.post("/probe/raise-after-flush")
    def raise_after_flush(session: SessionDep) -> dict[str, bool]:
        entry = EntryCreate(question="写了一半", answer="写了一半", source_code="tx-src")
        kb_service.create(session=session, entry_in=entry)  # flushed: the row and its change exist
        raise ValidationFailed("the second step failed: nothing of this request may stay")

    @router.post("/probe/commit-fails")
    def commit_fails(session: SessionDep) -> dict[str, bool]:
        # two rows with one primary key: only the commit's flush finds out
        session.add(Region(code="990000", name="甲", level="province"))
        session.add(Region(code="990000", name="乙", level="province"))
        return {"ok": True}

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, fresh_db


def _count(db, model) -> int:
    with Session(db.engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_route_that_raises_after_a_flush_leaves_the_database_as_it_was(probe):
    client, db = probe
    entries, changes = _count(db, Entry), _count(db, EntryChange)
    r = client.post("/probe/raise-after-flush")
    assert r.status_code == 422 and "nothing of this request" in r.json()["detail"]
    assert (_count(db, Entry), _count(db, EntryChange)) == (entries, changes)


def test_a_failing_commit_is_an_error_for_the_client_not_a_2xx(probe):
    client, db = probe
    regions = _count(db, Region)
    r = client.post("/probe/commit-fails")
    assert r.status_code == 500
    assert _count(db, Region) == regions


def test_a_successful_request_is_committed_before_it_is_answered(probe):
    client, db = probe
    with Session(db.engine) as s:
        admin_token = create_token(session=s, name="admin", role="admin")
        s.commit()
    body = {"question": "新问题", "answer": "新答复", "source_code": "tx-src", "region_code": "620000"}
    r = client.post("/kb/entries", json=body, headers={"Authorization": f"Bearer {admin_token}"})
    assert r.status_code == 201, r.text
    with Session(db.engine) as s:  # another connection sees it as soon as the answer is in
        assert s.get(Entry, r.json()["id"]) is not None
