"""Routing catalogue (派单目录): file format, resolution order, derivation from 附件4 replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.routing import (
    CATALOGUE_PATH,
    Catalogue,
    CatalogueError,
    derive_category_routes,
    reply_department,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def test_shipped_catalogue_uses_only_the_22_departments(catalogue: Catalogue) -> None:
    assert len(catalogue.departments) == 22
    assert "市住房和城乡建设局" in catalogue.departments and "供电公司" in catalogue.departments
    # every L1 of the taxonomy has a fallback route
    assert len(catalogue.by_l1) == 15


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("小区物业不清运垃圾", "市住房和城乡建设局"),
        ("暖气不热，室温只有十四度", "市住房和城乡建设局"),
        ("工地晚上11点还在浇筑混凝土，噪音很大", "市生态环境局"),
        ("楼上邻居每晚喧哗", "市公安局"),
        ("山坡上有人私自开挖取土，破坏山体植被", "市自然资源局"),
        ("老板拖欠工资三个月", "市人力资源和社会保障局"),
        ("异地就医报销迟迟不到账", "市医疗保障局"),
        ("村后山沟发生泥石流", "市应急管理局"),
        ("手机信号很差", "市工业和信息化局"),
        ("路边违章建筑", "市城市管理综合执法局"),
        ("出租车司机不打表还拒开发票", "市交通运输局"),
        ("电梯故障频繁，物业不管", "市市场监督管理局"),
        ("邻居家着火了冒烟了", "市应急管理局"),
        ("村里河沟发大水了", "市应急管理局"),
    ],
)
def test_keyword_rules(catalogue: Catalogue, text: str, department: str) -> None:
    assert catalogue.route(text=text, l1=None, l2=None).department == department


def test_resolution_order_keyword_then_l2_then_l1() -> None:
    cat = Catalogue(
        {
            "departments": ["A", "B", "C", "D"],
            "rules": [{"department": "A", "keywords": ["燃气"]}],
            "categories": [
                {"l1": "城乡建设", "l2": None, "department": "B"},
                {"l1": "城乡建设", "l2": "城乡规划", "department": "C"},
                {"l1": "城乡建设", "l2": None, "department": "D", "region": "兰州"},
            ],
        }
    )
    assert cat.route(text="燃气泄漏", l1="城乡建设", l2="城乡规划").rule.startswith("keyword")
    assert cat.route(text="违建", l1="城乡建设", l2="城乡规划").department == "C"
    assert cat.route(text="违建", l1="城乡建设", l2=None).department == "B"
    # a region-specific route beats the general one for callers of that region only
    assert cat.route(text="违建", l1="城乡建设", l2=None, region_name="兰州市城关区").department == "D"
    assert cat.route(text="违建", l1="教育文体", l2=None).department is None


def test_unless_and_priority() -> None:
    cat = Catalogue(
        {
            "departments": ["公安", "环保", "市场"],
            "rules": [
                {"department": "公安", "keywords": ["噪音扰民"], "unless": ["工地"]},
                {"department": "环保", "keywords": ["工地"]},
                {"department": "市场", "keywords": ["电梯"], "priority": 2},
            ],
        }
    )
    assert cat.route(text="工地噪音扰民", l1=None, l2=None).department == "环保"
    assert cat.route(text="楼下噪音扰民", l1=None, l2=None).department == "公安"
    assert cat.route(text="工地电梯", l1=None, l2=None).department == "市场"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"departments": ["A"], "rules": [{"department": "B", "keywords": ["x"]}]}, "not in the catalogue"),
        ({"departments": ["A"], "rules": [{"department": "A", "keywords": []}]}, "no keywords"),
        ({"departments": ["A"], "categories": [{"department": "A"}]}, "no l1"),
    ],
)
def test_bad_catalogue_entries_are_refused_with_the_fix(data: dict, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        Catalogue(data)


def test_unreadable_catalogue_file(tmp_path: Path) -> None:
    bad = tmp_path / "cat.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        Catalogue.load(bad)
    with pytest.raises(CatalogueError, match="not found"):
        Catalogue.load(tmp_path / "missing.json")


def test_shipped_file_is_the_one_loaded() -> None:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    assert Catalogue.load().version == data["version"]


@pytest.mark.parametrize(
    ("reply", "department"),
    [
        ("网友您好！经A市教育局调查核实，现回复如下", "市教育局"),
        ("您好，A3区城管执法大队高度重视", "市城市管理综合执法局"),
        ("经县人社局劳动保障监察大队查实", "市人力资源和社会保障局"),
        ("感谢您的来信，暂无具体部门", None),
        ("市民政策咨询已收到", None),  # 民政 inside 市民政策 is not the civil affairs bureau
    ],
)
def test_reply_department_mapping(reply: str, department: str | None) -> None:
    assert reply_department(reply) == department


def test_derive_category_routes_majority_and_l2_exceptions() -> None:
    rows = [("教育文体", "考试招生", "市教育局回复")] * 6 + [("教育文体", "文化", "市文旅局回复")] * 5
    rows += [("教育文体", "文化", "市教育局回复")]
    routes = derive_category_routes(rows, min_evidence=5)
    assert {"l1": "教育文体", "l2": None, "department": "市教育局", "region": None, "evidence": 7} in routes
    assert any(r["l2"] == "文化" and r["department"] == "市文化和旅游局" for r in routes)


def test_river_sand_and_soil_samples_are_not_land_resources(catalogue: Catalogue) -> None:
    # 河道采砂 is the water authority's; 取土壤样本 is no digging
    for text in ("村里有人在河道里盗采河沙", "农田取土壤样本检测"):
        assert catalogue.route(text=text, l1=None, l2=None, region_name=None).department != "市自然资源局"
