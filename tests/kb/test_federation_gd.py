"""Federation on the real gd_matters items that exist at province (440000) and Guangzhou (440100) level.

The non-slow tests import a real subset: every item whose matter exists at both levels, plus
Guangzhou-only and province-only items. The slow test imports the whole file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ingest.gd_matters import GdMattersAdapter
from ingest.runner import run_import
from ingest.validation import normalise_name
from kb import federation
from kb import service as kb_service
from kb.models import Entry

PROVINCE, GUANGZHOU = "440000", "440100"


def _items(shared_dir: Path) -> list[dict]:
    lines = (shared_dir / "data/gd_matters/policy.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _subset(items: list[dict]) -> list[dict]:
    levels: dict[str, set[str]] = defaultdict(set)
    for i in items:
        levels[normalise_name(i["TASK_NAME"])].add(i["matter_level"])
    both = [i for i in items if len(levels[normalise_name(i["TASK_NAME"])]) == 2]
    city_only = [i for i in items if levels[normalise_name(i["TASK_NAME"])] == {"市级"}][:20]
    prov_only = [i for i in items if levels[normalise_name(i["TASK_NAME"])] == {"省级"}][:20]
    return both + city_only + prov_only


@pytest.fixture(scope="module")
def gd_db(engine, shared_dir, tmp_path_factory) -> Iterator[tuple[Session, list[dict]]]:
    """The real subset imported once for the module's read-only tests, rolled back at the end."""
    items = _subset(_items(shared_dir))
    path = tmp_path_factory.mktemp("gd") / "gd_subset.jsonl"
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    connection = engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        report = run_import(session=s, adapter=GdMattersAdapter(path))
        assert report.rejected == 0, report.errors
        yield s, items
    finally:
        s.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(gd_db) -> Session:
    return gd_db[0]


@pytest.fixture
def gd_subset(gd_db) -> list[dict]:
    return gd_db[1]


def _federated(session: Session, region: str) -> list[Entry]:
    chain = kb_service.region_chain(session=session, code=region)
    items, _ = kb_service.get_all(
        session=session, federated_for=chain, status="published", source_code="gd_matters", limit=100_000
    )
    return items


def _by_tier(session: Session) -> dict[tuple[str, str], dict[str, list[Entry]]]:
    out: dict[tuple[str, str], dict[str, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for e in session.scalars(select(Entry).where(Entry.external_key.like("gd_matters:%"))):
        out[(e.matter_key, e.aspect)][e.region_code].append(e)
    return out


def test_pairs_are_linked_across_tiers_by_matter_key(session, gd_subset):
    groups = _by_tier(session)
    shared = {k for k, v in groups.items() if PROVINCE in v and GUANGZHOU in v}
    matters = {mk for mk, _ in shared}
    # the real file has 48 items at both levels once names are normalised (45 with raw names)
    assert len(matters) == 48
    assert "律师执业变更审核(执业类别变更)" in matters  # city spells it 律师执业变更审核(（执业类别变更）)
    assert "无线电频率使用许可(新申请)" in matters  # province （）, city ()


def test_guangzhou_entry_wins_over_the_province_for_guangzhou_askers(session, gd_subset):
    got = {e.id for e in _federated(session, GUANGZHOU)}
    groups = _by_tier(session)
    checked = 0
    for per_region in groups.values():
        if PROVINCE in per_region and GUANGZHOU in per_region:
            assert {e.id for e in per_region[GUANGZHOU]} <= got
            assert not {e.id for e in per_region[PROVINCE]} & got
            checked += 1
        elif PROVINCE in per_region:
            # no Guangzhou version of this matter and aspect: the province's answer applies
            assert {e.id for e in per_region[PROVINCE]} <= got
    assert checked > 250
    # the SQL condition and the in-memory rules agree
    chain = kb_service.region_chain(session=session, code=GUANGZHOU)
    every = session.scalars(select(Entry).where(Entry.external_key.like("gd_matters:%")).order_by(Entry.id))
    assert {e.id for e in federation.resolve(list(every), chain)} == got


def test_province_askers_never_see_guangzhou_entries(session, gd_subset):
    got = _federated(session, PROVINCE)
    assert got and {e.region_code for e in got} == {PROVINCE}
    city_only = {normalise_name(i["TASK_NAME"]) for i in gd_subset if i["matter_level"] == "市级"} - {
        normalise_name(i["TASK_NAME"]) for i in gd_subset if i["matter_level"] == "省级"
    }
    assert city_only and not city_only & {e.matter_key for e in got}
    # a Gansu asker is in neither region: no Guangdong entry at all
    assert _federated(session, "620500") == []


def test_a_real_guangzhou_answer_for_a_shared_matter(session, gd_subset):
    chain = kb_service.region_chain(session=session, code=GUANGZHOU)
    hits = [e for e in _federated(session, GUANGZHOU) if e.matter_key == "律师事务所设立许可"]
    assert {e.region_code for e in hits} == {GUANGZHOU} and chain == [GUANGZHOU, PROVINCE]
    assert {e.aspect for e in hits} >= {"location", "time_limit", "consult_phone"}
    prov = [e for e in _federated(session, PROVINCE) if e.matter_key == "律师事务所设立许可"]
    assert {e.region_code for e in prov} == {PROVINCE}


def test_conflicts_list_real_matters_whose_tiers_disagree(session, gd_subset):
    found = federation.conflicts(session=session)
    assert found
    by_key = {(c.matter_key, c.aspect, c.fact): c for c in found}
    # independently from the raw records: shared matters whose consult phones differ between levels
    phones: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for i in gd_subset:
        phones[normalise_name(i["TASK_NAME"])][i["matter_level"]].add(i["consult_phone"].replace("-", ""))
    differing = {
        mk for mk, lv in phones.items() if len(lv) == 2 and lv["省级"] != lv["市级"] and "无" not in str(lv)
    }
    assert differing
    for mk in differing:
        c = by_key[(mk, "consult_phone", "phone")]
        assert len(c.values) >= 2 and len({tuple(v) for v in c.values.values()}) >= 2
        assert any("(city)" in label for label in c.values) and any(
            "(province)" in label for label in c.values
        )
    # every conflict involves both regions and really disagrees
    for c in found:
        regions = {session.get(Entry, i).region_code for i in c.entry_ids}
        assert regions == {PROVINCE, GUANGZHOU}


def test_kb_conflicts_cli_lists_real_matters(fresh_db, shared_dir, tmp_path, monkeypatch):
    from api.cli import app
    from kb.config import get_settings

    items = [i for i in _subset(_items(shared_dir)) if "律师" in i["TASK_NAME"]]
    path = tmp_path / "lawyers.jsonl"
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    monkeypatch.setenv("LIANXIN_DATABASE_URL", fresh_db.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["ingest", "gd_matters", str(path), "--json"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["kb", "conflicts", "--json"])
        assert r.exit_code == 0, r.output
        out = json.loads(r.stdout)
    finally:
        get_settings.cache_clear()
    assert out["count"] == len(out["conflicts"]) > 0
    assert {c["fact"] for c in out["conflicts"]} == {"phone", "location", "time_limit"}
    assert "律师事务所设立许可" in {c["matter_key"] for c in out["conflicts"]}


@pytest.mark.slow
def test_full_file_federation(engine, shared_dir):
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        _check_full_file(session, shared_dir)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def _check_full_file(session: Session, shared_dir: Path) -> None:
    report = run_import(
        session=session, adapter=GdMattersAdapter(shared_dir / "data/gd_matters/policy.jsonl")
    )
    assert report.rejected == 0 and report.created > 14_000
    gz = {e.id for e in _federated(session, GUANGZHOU)}
    prov = _federated(session, PROVINCE)
    assert {e.region_code for e in prov} == {PROVINCE}
    for per_region in _by_tier(session).values():
        if PROVINCE in per_region and GUANGZHOU in per_region:
            assert not {e.id for e in per_region[PROVINCE]} & gz
            assert {e.id for e in per_region[GUANGZHOU]} <= gz
