from __future__ import annotations

from datetime import date

import pytest

from kb import service as kb_service
from kb.errors import RegionNotFound, StaleVersion, TransitionNotAllowed, ValidationFailed
from kb.schemas import EntryCreate, EntryUpdate
from tests import factories


def test_bundled_regions_cover_gansu(session):
    chain = kb_service.region_chain(session=session, code="620503")  # 麦积区
    assert chain == ["620503", "620500", "620000"]
    counties = [
        r for r in kb_service.list_regions(session=session) if r.code.startswith("62") and r.level == "county"
    ]
    cities = [
        r for r in kb_service.list_regions(session=session) if r.code.startswith("62") and r.level == "city"
    ]
    assert len(cities) == 14
    assert len(counties) == 86
    assert kb_service.find_region_by_name(session=session, name="天水").code == "620500"


def test_create_update_keeps_full_history(session):
    e = factories.entry(session, question="怎么办理居住证", answer="携带身份证到派出所办理。")
    assert e.version == 1
    kb_service.update(
        session=session,
        entry_id=e.id,
        entry_in=EntryUpdate(version=1, answer="携带身份证和租房合同到派出所办理。"),
    )
    assert e.version == 2
    history = kb_service.versions(session=session, entry_id=e.id)
    assert [v.version for v in history] == [1, 2]
    assert history[0].snapshot["answer"] == "携带身份证到派出所办理。"
    assert history[1].snapshot["answer"].startswith("携带身份证和租房合同")


def test_update_without_change_keeps_version(session):
    e = factories.entry(session)
    kb_service.update(session=session, entry_id=e.id, entry_in=EntryUpdate(version=1, answer=e.answer))
    assert e.version == 1


def test_stale_version_is_refused_and_says_what_to_do(session):
    e = factories.entry(session)
    kb_service.update(session=session, entry_id=e.id, entry_in=EntryUpdate(version=1, answer="新答复"))
    with pytest.raises(StaleVersion, match="reload"):
        kb_service.update(session=session, entry_id=e.id, entry_in=EntryUpdate(version=1, answer="另一答复"))
    assert e.answer == "新答复"


def test_status_lifecycle_and_illegal_transition(session):
    e = factories.entry(session, status="draft")
    kb_service.set_status(session=session, entry_id=e.id, status="in_review")
    kb_service.set_status(session=session, entry_id=e.id, status="published")
    kb_service.retire(session=session, entry_id=e.id)
    with pytest.raises(TransitionNotAllowed, match="can move to draft"):
        kb_service.set_status(session=session, entry_id=e.id, status="published")


def test_upsert_is_idempotent_by_external_key(session):
    src = factories.source(session)
    data = EntryCreate(
        question="问", answer="答", source_code=src.code, external_key="k1", status="published"
    )
    e1, r1 = kb_service.upsert(session=session, entry_in=data)
    e2, r2 = kb_service.upsert(session=session, entry_in=data)
    e3, r3 = kb_service.upsert(session=session, entry_in=data.model_copy(update={"answer": "新答"}))
    assert (r1, r2, r3) == ("created", "unchanged", "updated")
    assert e1.id == e2.id == e3.id and e3.version == 2


def test_unknown_region_is_refused(session):
    src = factories.source(session)
    with pytest.raises(RegionNotFound, match="GB/T 2260"):
        kb_service.create(
            session=session,
            entry_in=EntryCreate(question="q", answer="a", source_code=src.code, region_code="999999"),
        )


def test_validity_window(session):
    e = factories.entry(session, effective_from=date(2025, 1, 1), expires_at=date(2025, 12, 31))
    assert e.valid_on(date(2025, 6, 1))
    assert not e.valid_on(date(2026, 1, 1))
    items, total = kb_service.get_all(session=session, valid_on=date(2026, 1, 1), q=e.question)
    assert total == 0


def test_dates_out_of_order_are_rejected():
    with pytest.raises(ValueError, match="expires_at is before effective_from"):
        EntryCreate(
            question="q",
            answer="a",
            source_code="s",
            effective_from=date(2025, 2, 1),
            expires_at=date(2025, 1, 1),
        )


def test_revision_feed_records_every_change(session):
    before = kb_service.revision(session=session)
    e = factories.entry(session)
    kb_service.retire(session=session, entry_id=e.id)
    changes = kb_service.changes_since(session=session, seq=before)
    assert [(c.entry_id, c.action) for c in changes] == [(e.id, "create"), (e.id, "retire")]


def test_migrations_match_models(engine):
    """Alembic's migrations produce exactly the schema the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import api.models  # noqa: F401
    import assistant.models  # noqa: F401
    import eval.models  # noqa: F401
    import tickets.models  # noqa: F401
    from kb.db import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: write a migration for {diff}"


@pytest.mark.parametrize(
    "edit",
    [
        {"question": "新的问题", "answer": "  "},
        {"question": "新的问题", "expires_at": date(2020, 1, 1)},
        {"question": "新的问题", "topics": ["没有这个专题"]},
        {"question": "新的问题", "region_code": "999999"},
    ],
)
def test_a_refused_edit_leaves_the_entry_untouched(session, edit):
    e = factories.entry(session, effective_from=date(2025, 1, 1))
    before = kb_service.snapshot(e)
    with pytest.raises((ValidationFailed, RegionNotFound)):
        kb_service.update(session=session, entry_id=e.id, entry_in=EntryUpdate(version=1, **edit))
    session.flush()  # a caller that catches the error and goes on must write nothing of it
    session.expire_all()
    stored = kb_service.require(session=session, entry_id=e.id)
    assert kb_service.snapshot(stored) == before and stored.version == 1


def test_a_refused_reimport_leaves_the_entry_untouched(session):
    src = factories.source(session)
    data = EntryCreate(
        question="问", answer="答", source_code=src.code, external_key="k-bad", status="published"
    )
    e, _ = kb_service.upsert(session=session, entry_in=data)
    before = kb_service.snapshot(e)
    for bad in ({"answer": "改了", "topics": ["没有这个专题"]}, {"answer": "改了", "region_code": "999999"}):
        with pytest.raises((ValidationFailed, RegionNotFound)):
            kb_service.upsert(session=session, entry_in=data.model_copy(update=bad))
        session.flush()
        session.expire_all()
        assert kb_service.snapshot(kb_service.require(session=session, entry_id=e.id)) == before


def test_reimport_never_changes_a_curated_status(session):
    src = factories.source(session)
    data = EntryCreate(
        question="问", answer="答", source_code=src.code, external_key="k-status", status="published"
    )
    entry, _ = kb_service.upsert(session=session, entry_in=data)
    kb_service.retire(session=session, entry_id=entry.id)
    _, result = kb_service.upsert(session=session, entry_in=data)
    assert result == "unchanged" and entry.status == "retired"


def test_expired_override_does_not_shadow_the_valid_province_answer(session):
    prov = factories.source(session, tier="province", region_code="620000")
    city = factories.source(session, tier="city", region_code="620500")
    p = factories.entry(session, source_code=prov.code, region_code="620000", matter_key="m-exp", aspect="a")
    c = factories.entry(
        session,
        source_code=city.code,
        region_code="620500",
        matter_key="m-exp",
        aspect="a",
        expires_at=date(2020, 12, 31),
    )
    chain = kb_service.region_chain(session=session, code="620500")
    today = date(2026, 1, 1)
    items, _ = kb_service.get_all(
        session=session, federated_for=chain, status="published", valid_on=today, q="测试"
    )
    ids = {e.id for e in items}
    assert p.id in ids and c.id not in ids
    items, _ = kb_service.get_all(
        session=session, federated_for=chain, status="published", valid_on=date(2020, 6, 1)
    )
    ids = {e.id for e in items}
    assert c.id in ids and p.id not in ids
