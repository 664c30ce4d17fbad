"""Place names: a question about one place prefers that place's entries over another place's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from retrieval import build_engine
from retrieval.places import Places, gazetteer, norm_place
from tests import factories

REGIONS = {
    "620000": (None, "province", "甘肃省"),
    "620500": ("620000", "city", "天水市"),
    "620100": ("620000", "city", "兰州市"),
    "440000": (None, "province", "广东省"),
    "440100": ("440000", "city", "广州市"),
}


def test_gazetteer_holds_provinces_and_cities_but_not_words_tagged_as_places() -> None:
    g = gazetteer()
    assert {"北京", "重庆", "西藏", "梧州", "西宁", "郑州", "泉州", "内江"} <= g
    assert not {"福利", "伦理", "普及", "各省市"} & g


def test_places_found_normalised_and_compared_through_the_kb_regions() -> None:
    p = Places(REGIONS)
    assert norm_place("北京市") == "北京" and norm_place("甘肃省") == "甘肃" and norm_place("某县") == "某县"
    assert p.of("北京市的企业和重庆的企业") == {"北京", "重庆"}
    assert p.of("天水市公积金怎么取") == {"天水"}
    assert p.compatible("天水", "甘肃") and p.compatible("甘肃", "天水")  # a city lies in its province
    assert not p.compatible("天水", "兰州") and not p.compatible("天水", "广东")
    assert p.compatible("北京", "北京") and not p.compatible("北京", "重庆")
    assert p.of_entry("公积金提取要什么材料", "620500") == {"天水"}
    assert p.agreement(frozenset({"北京"}), frozenset({"北京", "天津"})) == 1
    assert p.agreement(frozenset({"北京"}), frozenset({"重庆"})) == -1
    assert p.agreement(frozenset({"北京"}), frozenset()) == 0
    assert p.agreement(frozenset(), frozenset({"重庆"})) == 0


def test_a_province_named_by_the_question_and_not_by_the_entry_is_a_conflict() -> None:
    from retrieval.engine import _base_jieba

    base = _base_jieba()  # segmented as the engine does: 浙江西部 names no 江西, 上海南站 no 海南
    p = Places(
        REGIONS, segment=lambda t: base.cut(t, HMM=False), word_freq=lambda w: int(base.FREQ.get(w) or 0)
    )
    # Guangdong's 办事指南 (by its region) against a question about Beijing or Shanghai
    assert p.province_conflict(
        "北京的造价工程师变更注册要什么材料", "注册造价工程师变更注册需要哪些材料", "440000"
    )
    assert p.province_conflict("在上海想办外籍人员子女学校", "设立外籍人员子女学校由哪个部门办理", "440100")
    # topic entries name their province in the question
    assert p.province_conflict("广西现在是几级响应", "新疆启动了重大突发公共卫生事件几级响应", None)
    # a city of the KB's regions lies in its province
    assert not p.province_conflict("天水的公积金怎么取", "公积金提取需要哪些材料", "620000")
    assert not p.province_conflict("广州律师转所找谁审核", "律师执业变更审核由哪个部门办理", "440000")
    # the asker lives in the entry's province: another province is where the matter began
    assert p.province_conflict("在上海看病回来怎么报销", "异地就医备案办理", "620000")
    assert not p.province_conflict("在上海看病回来怎么报销", "异地就医备案办理", "620000", "620500")
    # 香港, 澳门, 台湾 are where askers come from; an excluded province, a street, a time are no place
    assert not p.province_conflict(
        "我是香港的牙医 想认定医师资格", "港澳医师内地医师资格认定需要哪些材料", "440000"
    )
    assert not p.province_conflict("台湾居民怎么申领居住证", "港澳台居民居住证申领", "440000")
    assert not p.province_conflict("在广东复工要隔离吗", "除湖北省外其他地区复工要求", None)
    assert not p.province_conflict("北京时间几点开始受理", "公积金受理时间", "620000")
    assert not p.province_conflict("江西路派出所在哪", "户籍业务办理地点", "620000")
    assert p.provinces("浙江西部的政策") == {"浙江"}
    # no province on one side, or a city the KB cannot place: no conflict
    assert not p.province_conflict(
        "造价工程师变更注册要什么材料", "注册造价工程师变更注册需要哪些材料", "440000"
    )
    assert not p.province_conflict("北京的企业稳岗", "企业稳岗返还政策有哪些", None)
    assert not p.province_conflict("呼和浩特企业缓缴公积金", "内蒙古自治区企业缓缴住房公积金", None)
    assert not p.province_conflict("除了湖北 申报期限延到几号", "除湖北省外纳税申报期限延至何时", None)


@pytest.fixture
def two_cities(session: Session) -> dict[str, int]:
    src = factories.source(session, code="covid-topic", tier="topic", region_code=None).code
    ids = {}
    ids["chongqing"] = factories.entry(
        session, source_code=src, question="重庆市企业稳岗返还政策有哪些", answer="重庆：返还失业保险费"
    ).id
    ids["beijing"] = factories.entry(
        session, source_code=src, question="北京市对困难企业稳定就业岗位有什么支持", answer="北京：补贴"
    ).id
    ids["general"] = factories.entry(
        session, source_code=src, question="个体工商户复工需要什么条件", answer="无"
    ).id
    return ids


def test_a_question_naming_a_place_gets_that_place_first(
    session: Session,
    two_cities: dict[str, int],
    nano,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    q = "北京的企业稳岗返还政策有哪些"
    off = build_engine(session=session, embedder=nano, cache_dir=tmp_path, place_weight=0.0)
    assert off.search(q, top_k=2).hits[0].entry_id == two_cities["chongqing"]  # the words favour Chongqing
    on = build_engine(session=session, embedder=nano, cache_dir=tmp_path)
    hits = on.search(q, top_k=3, explain=True).hits
    assert hits[0].entry_id == two_cities["beijing"] and hits[0].place == 1
    assert {h.entry_id: h.place for h in hits}[two_cities["chongqing"]] == -1
    # no place asked: nothing moves
    plain = on.search("企业稳岗返还政策有哪些", top_k=3)
    assert [h.entry_id for h in plain.hits] == [
        h.entry_id for h in off.search("企业稳岗返还政策有哪些", top_k=3).hits
    ]
    assert all(h.place == 0 for h in plain.hits)
    # dense alone is not moved; BM25 alone is, by a factor, and its raw score stays in the hit
    assert all(h.place == 0 for h in on.search(q, mode="dense", top_k=3).hits)
    bm = {h.entry_id: h for h in on.search(q, mode="bm25", top_k=3).hits}
    assert bm[two_cities["beijing"]].place == 1 and bm[two_cities["chongqing"]].place == -1
    assert bm[two_cities["beijing"]].score == pytest.approx(bm[two_cities["beijing"]].bm25 * 1.1, rel=1e-6)
    assert bm[two_cities["chongqing"]].score == pytest.approx(
        bm[two_cities["chongqing"]].bm25 * 0.9, rel=1e-6
    )


def gansu() -> dict[str, tuple[str | None, str, str]]:
    import json

    from tests.conftest import ROOT

    data = json.loads((ROOT / "kb" / "data" / "regions_gansu.json").read_text(encoding="utf-8"))
    return {r["code"]: (r["parent"], r["level"], r["name"]) for r in data["regions"]}


def test_autonomous_and_district_names_have_the_short_form_callers_use() -> None:
    assert norm_place("甘南藏族自治州") == "甘南" and norm_place("东乡族自治县") == "东乡"
    assert norm_place("积石山保安族东乡族撒拉族自治县") == "积石山" and norm_place("西峰区") == "西峰"
    assert norm_place("新疆维吾尔自治区") == "新疆" and norm_place("宁夏回族自治区") == "宁夏"
    assert norm_place("成县") == "成县" and norm_place("宁县") == "宁县"  # too short to strip


def test_gansu_callers_name_their_county_by_its_short_name() -> None:
    from retrieval.tokenize import _base_jieba

    jb = _base_jieba()
    p = Places(gansu(), segment=lambda t: jb.cut(t, HMM=False), word_freq=lambda w: int(jb.FREQ.get(w) or 0))
    asked = p.of("西峰的医保怎么报销")
    assert asked == {"西峰"}
    assert p.agreement(asked, p.of_entry("医保报销", "621002")) == 1  # 西峰区's own entry
    assert p.agreement(asked, p.of_entry("医保报销", "621000")) == 1  # 庆阳市 holds 西峰区
    assert p.agreement(asked, p.of_entry("医保报销", "620000")) == 1  # the province
    assert p.agreement(asked, p.of_entry("医保报销", "620500")) == -1  # 天水 is elsewhere
    assert p.of("甘南的牧民补贴") == {"甘南"} and p.of("东乡的学校") == {"东乡"}
    # a common word is not a place, and a place inside other words does not count
    assert p.of("农村合作医疗怎么报") == frozenset()  # 合作市's short name is a word first
    assert p.of("完成县级审批要多久") == frozenset()  # 成县 straddles 完成|县级
    assert p.of("合作市的公交") == {"合作"}  # the full name still counts
