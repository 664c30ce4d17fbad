"""The bundled Gansu demo KB: it validates, loads idempotently, and federates by region."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy.orm import Session

from kb import service as kb_service
from kb.demo import demo_entries, demo_meta, load_demo_kb, parse_entries
from kb.errors import ValidationFailed
from kb.models import Entry
from kb.schemas import EntryCreate

PROVINCE, LANZHOU, TIANSHUI, MAIJI = "620000", "620100", "620500", "620503"


def _subtree_prefix(code: str) -> str:
    # GB/T 2260: a city's counties share its first four digits
    return code[:4]


def _overrides(entries: list[EntryCreate], city: str) -> set[tuple[str, str | None]]:
    """Published (matter_key, aspect) pairs that ``city`` (or one of its counties) also answers at province level."""
    province = {(e.matter_key, e.aspect) for e in entries if e.region_code == PROVINCE and e.matter_key}
    return {
        (e.matter_key, e.aspect)
        for e in entries
        if e.status == "published"
        and e.region_code
        and e.region_code.startswith(_subtree_prefix(city))
        and (e.matter_key, e.aspect) in province
    }


# ---------------------------------------------------------------- the files


def test_every_line_validates_and_keys_are_stable() -> None:
    entries = demo_entries()
    meta = demo_meta()
    assert "演示数据，内容为示例" in meta["note"]
    sources = {s["code"]: s for s in meta["sources"]}
    topics = {t["code"] for t in meta["topics"]}
    assert {t["name"] for t in meta["topics"]} == {"高效办成一件事", "两新"}
    assert len(entries) >= 180
    for e in entries:
        assert e.source_code in sources, e.external_key
        assert e.external_key and e.external_key.startswith(f"demo:{e.source_code}:"), e.external_key
        assert 2 <= len(e.similar_questions) <= 5, e.external_key
        assert e.question not in e.similar_questions, e.external_key
        assert set(e.topics) <= topics, e.external_key
        assert e.category, e.external_key
        assert "答复口径" in e.answer, e.external_key
    keys = [e.external_key for e in entries]
    assert len(keys) == len(set(keys))


def test_content_covers_tiers_departments_topics_and_lifecycle() -> None:
    entries = demo_entries()
    sources = {s["code"]: s for s in demo_meta()["sources"]}
    by_tier = Counter(sources[e.source_code]["tier"] for e in entries)
    assert by_tier["province"] >= 80 and by_tier["city"] >= 40
    departments = {s["department"] for s in sources.values() if s["tier"] == "department"}
    assert departments == {"甘肃省人力资源和社会保障厅", "甘肃省医疗保障局"}
    for e in entries:
        if sources[e.source_code]["tier"] == "department":
            assert e.department == sources[e.source_code]["department"], e.external_key
    topic_counts = Counter(t for e in entries for t in e.topics)
    assert topic_counts["yijianshi"] >= 8 and topic_counts["liangxin"] >= 8
    statuses = Counter(e.status for e in entries)
    assert statuses["draft"] >= 2 and statuses["in_review"] >= 2 and statuses["retired"] >= 1
    today = date.today()
    assert sum(1 for e in entries if e.expires_at and e.expires_at < today) >= 3
    # at least 15 provincial matters overridden by each city, several by both
    lz, ts = _overrides(entries, LANZHOU), _overrides(entries, TIANSHUI)
    assert len(lz) >= 15 and len(ts) >= 15 and len(lz & ts) >= 8
    counties = {e.region_code for e in entries if e.region_code and not e.region_code.endswith("00")}
    assert {"620102", MAIJI} <= counties


def test_similar_questions_are_spoken_style() -> None:
    """Citizens' phrasings: abbreviations and questions without punctuation are present."""
    sims = [s for e in demo_entries() for s in e.similar_questions]
    assert sum("社保" in s or "医保" in s or "公积金" in s for s in sims) >= 40
    assert sum(not any(p in s for p in "？?，。") for s in sims) >= len(sims) // 2


def test_city_entries_give_their_own_city_phone_numbers() -> None:
    """A 兰州 answer never gives a 天水 (0938) number, and the other way round."""
    area = {LANZHOU: "0931", TIANSHUI: "0938"}
    checked = 0
    for e in demo_entries():
        city = next((c for c in area if e.region_code and e.region_code[:4] == c[:4]), None)
        if city is None:
            continue
        codes = set(re.findall(r"(?<!\d)(0\d{3})-\d{5,8}", e.answer))
        assert codes <= {area[city]}, (e.external_key, codes)
        checked += bool(codes)
    assert checked >= 35


def test_a_bad_line_names_the_line() -> None:
    """A broken demo file is refused before anything is written, with the line and the field."""
    good = json.dumps(
        {"question": "问", "answer": "答", "source_code": "s", "external_key": "demo:s:1"}, ensure_ascii=False
    )
    blank = json.dumps(
        {"question": "问", "answer": " ", "source_code": "s", "external_key": "demo:s:2"}, ensure_ascii=False
    )
    with pytest.raises(ValidationFailed, match=r"^f line 3: answer: .*blank.*correct the field"):
        parse_entries(f"{good}\n\n{blank}\n", name="f")
    with pytest.raises(ValidationFailed, match=r"line 2: external_key 'demo:s:1' already used on line 1"):
        parse_entries(f"{good}\n{good}\n", name="f")
    with pytest.raises(ValidationFailed, match=r"line 1: not valid JSON"):
        parse_entries("{问题", name="f")
    assert [e.external_key for e in parse_entries(good, name="f")] == ["demo:s:1"]


# ---------------------------------------------------------------- loading


def test_loads_and_reloading_changes_nothing(session: Session) -> None:
    first = load_demo_kb(session=session)
    n = len(demo_entries())
    assert first == {"created": n} and n >= 150
    stats = kb_service.stats(session=session)
    revision = stats["revision"]
    assert stats["entries"] >= 150
    assert set(stats["by_source"]) >= {s["code"] for s in demo_meta()["sources"]}
    assert load_demo_kb(session=session) == {"unchanged": n}
    assert kb_service.revision(session=session) == revision
    assert kb_service.stats(session=session)["entries"] == stats["entries"]
    one = kb_service.get_by_external_key(session=session, external_key="demo:demo_tianshui_12345:1")
    assert one is not None and one.version == 1 and one.tier == "city" and one.region_code == TIANSHUI


def test_expired_entries_drop_out_of_todays_view(session: Session) -> None:
    load_demo_kb(session=session)
    everything, total = kb_service.get_all(session=session, status="published", limit=1000)
    valid, valid_total = kb_service.get_all(
        session=session, status="published", valid_on=date.today(), limit=1000
    )
    expired = {e.external_key for e in everything} - {e.external_key for e in valid}
    assert expired and valid_total < total
    for e in everything:
        if e.external_key in expired:
            assert e.expires_at is not None and e.expires_at < date.today()


# ---------------------------------------------------------------- federation for a 天水 asker


def _federated(session: Session, region: str) -> list[Entry]:
    chain = kb_service.region_chain(session=session, code=region)
    items, total = kb_service.get_all(session=session, federated_for=chain, status="published", limit=1000)
    assert total == len(items)
    return items


def _by_matter(items: list[Entry]) -> dict[tuple[str, str | None], list[Entry]]:
    out: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for e in items:
        if e.matter_key:
            out[(e.matter_key, e.aspect)].append(e)
    return out


@pytest.mark.parametrize("region", [TIANSHUI, MAIJI])
def test_tianshui_asker_gets_tianshui_overrides_and_never_lanzhou(session: Session, region: str) -> None:
    load_demo_kb(session=session)
    entries = demo_entries()
    chain = kb_service.region_chain(session=session, code=region)
    items = _federated(session, region)
    assert len(items) >= 100
    # never an entry of another region (兰州市 or its districts)
    assert all(e.region_code is None or e.region_code in chain for e in items)
    assert not [e for e in items if e.region_code and e.region_code.startswith(_subtree_prefix(LANZHOU))]
    by_matter = _by_matter(items)
    published = [e for e in entries if e.status == "published" and e.matter_key]
    overridden = {(e.matter_key, e.aspect) for e in published if e.region_code in chain[:-1]}
    assert len(overridden) >= 15
    for key in {(e.matter_key, e.aspect) for e in published if e.region_code == PROVINCE}:
        # the most specific published entry of the asker's chain answers; exactly one per region tier
        regions_answering = {
            e.region_code for e in published if (e.matter_key, e.aspect) == key and e.region_code in chain
        }
        winner = min(regions_answering, key=chain.index)
        got = by_matter[key]
        assert {e.region_code for e in got} == {winner}, key
        assert (winner != PROVINCE) == (key in overridden), key


def test_spot_checks_by_region(session: Session) -> None:
    """Concrete matters, as an agent would check them by hand."""
    load_demo_kb(session=session)

    def answer(region: str, matter: str, aspect: str) -> Entry:
        (e,) = _by_matter(_federated(session, region))[(matter, aspect)]
        return e

    heating = ("集中供暖时间", "time_limit")
    assert (
        "11月15日" in answer(TIANSHUI, *heating).answer and answer(TIANSHUI, *heating).region_code == TIANSHUI
    )
    assert (
        "11月1日至次年3月31日" in answer(LANZHOU, *heating).answer
        and answer(LANZHOU, *heating).region_code == LANZHOU
    )
    assert answer(PROVINCE, *heating).region_code == PROVINCE
    # 天水 overrides the 公积金 phone with its own 0938 number; 兰州 with 0931
    assert "0938-12329" in answer(MAIJI, "住房公积金提取", "process").answer
    assert "0931-12329" in answer("620102", "住房公积金提取", "process").answer
    # 兰州 overrides 失业保险金申领, 天水 does not: a 天水 asker gets the province's answer
    unemployment = answer(TIANSHUI, "失业保险金申领", "location")
    assert unemployment.region_code == PROVINCE and "0931" not in unemployment.answer
    # 天水's 驾驶证换证 override is still in review: the province answers until it is published
    licence = answer(TIANSHUI, "驾驶证换证", "location")
    assert licence.region_code == PROVINCE
    pending = kb_service.get_by_key(
        session=session, source_code="demo_tianshui_12345", external_key=_key_of("驾驶证换证", TIANSHUI)
    )
    assert pending is not None and pending.status == "in_review"
    # 麦积区 has its own 低保 window; 秦州区 askers fall back to 天水市's
    assert answer(MAIJI, "最低生活保障申请", "location").region_code == MAIJI
    assert answer("620502", "最低生活保障申请", "location").region_code == TIANSHUI


def _key_of(matter: str, region: str) -> str:
    (e,) = [e for e in demo_entries() if e.matter_key == matter and e.region_code == region]
    assert e.external_key
    return e.external_key


def test_department_and_topic_entries_are_reachable(session: Session) -> None:
    load_demo_kb(session=session)
    hrss, n_hrss = kb_service.get_all(session=session, department="甘肃省人力资源和社会保障厅", limit=1000)
    assert n_hrss >= 10 and {e.tier for e in hrss} == {"department"}
    _, n_ybj = kb_service.get_all(session=session, department="甘肃省医疗保障局", limit=1000)
    assert n_ybj >= 10
    for topic in ("yijianshi", "高效办成一件事", "liangxin", "两新"):
        items, n = kb_service.get_all(session=session, topic=topic, status="published", limit=1000)
        assert n >= 8, topic
    cars, _ = kb_service.get_all(session=session, topic="liangxin", q="汽车报废更新", limit=50)
    assert cars
