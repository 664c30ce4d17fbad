"""The aspect a question asks moves that aspect's entry up (retrieval/aspects.py, SearchEngine.aspect_adjust)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from retrieval import build_engine
from retrieval.aspects import asked_aspect
from tests import factories

MATTER = "律师执业许可"


@pytest.fixture
def matter(session: Session) -> dict[str, int]:
    """One matter split into aspect entries whose questions share its name, and one plain entry."""
    src = factories.source(session, code="gd-test", tier="province", region_code=None).code
    ids = {}
    for aspect, ask, answer in (
        ("materials", "需要哪些材料", "申请书、身份证、法律职业资格证书"),
        ("location", "在哪里办理", "广州市天河区龙口西路省司法厅一楼窗口"),
        ("department", "由哪个部门审核", "广东省司法厅"),
    ):
        ids[aspect] = factories.entry(
            session,
            source_code=src,
            question=f"{MATTER}{ask}",
            answer=answer,
            matter_key=MATTER,
            aspect=aspect,
        ).id
    ids["plain"] = factories.entry(
        session, source_code=src, question="律师执业许可证丢了怎么补", answer="登报声明后申请补发"
    ).id
    return ids


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("律师执业许可去哪个窗口交", "location"),
        ("律师执业许可要带啥", "materials"),
        ("律师执业许可找谁审核", "department"),
        ("律师执业许可网上能办吗", "online"),
        ("律師執業許可網上能辦嗎", "online"),  # traditional characters
        ("律师执业许可ＡＰＰ上能办吗", "online"),  # full-width letters
        ("律师执业许可需要那个那个部门审核", "department"),  # 哪 heard as 那, a filler repeated
        ("办居住证需要准备些啥", "materials"),
        ("啥时候能办完", "time_limit"),
        ("手机上能办吗", "online"),
        ("甘快办上能查进度吗", "online"),
        ("由谁来受理", "department"),
        ("我这种情况能不能办", "criteria"),
        ("有没有年龄限制", "criteria"),
        ("在哪能办", "location"),
        ("律师执业许可", None),
        # as speech recognition writes them: 哪 as 那, 料 as 了, 办 as 半
        ("国资律所聘用的人申请专职律师执业材料递到那里", "location"),
        ("所理搬地址了备案要啥材了", "materials"),
        ("外国朋友入境后多少天内要半居留证", "criteria"),
        ("居住证再哪理办", "location"),
        ("做肝移植的医生申请资格认定去卫健委那里办", "location"),
        # ordinary sentences with 那, 半, 资了 name no aspect
        ("那个居住证", None),
        ("我在那里工作三年了", None),
        ("我家那里停水了", None),
        ("那个部门说不行", None),
        ("那些人可以领补贴吗", None),
        ("公司三个月没发工资了", None),
        ("我刚才了解了一下社保", None),
        ("谁半夜施工", None),
        ("老人坐公交能不能半价", None),
        # things named, not asked: 平台 and 东西 as objects (session 7's training questions)
        ("我们要在水上托带一个大平台 审批去哪儿办", "location"),
        ("买东西发现商家的秤不准 想申请仲裁检定 有啥要求", "criteria"),
        ("在哪个平台上申请", "online"),
        ("要带什么东西", "materials"),
        # 投诉 and 咨询 as speech recognition writes them
        ("资询了半天没人理 投述打啥电话", "complain_phone"),
        ("资询找谁", "consult_phone"),  # 资询 read back as 咨询: 咨询找谁, not 找谁 (department)
        ("请问谁负责审批", "department"),
        ("请问谁可以申请", "criteria"),
        ("政务服务平台能办吗", "online"),
        ("可以在国家政务服务平台办理吗", "online"),
        ("要准备的东西有哪些", "materials"),
        ("一物一证在线报名 是哪个单位搞的", "department"),
        ("林业调查规划院的技术文件 去哪下载", "online"),
        ("要下载资料 申请了一般多久能办好", "time_limit"),
        ("个税说可以先备案不交 问谁", "consult_phone"),
        # a line named as the matter asks no complaint; asking the line to complain still does
        ("12328那个交通服务监督电话归哪个部门管", "department"),
        ("交通服务监督电话是多少", "complain_phone"),
        ("残疾证查询查不到信息 这事找谁投诉 电话多少", "complain_phone"),
    ],
)
def test_asked_aspect_reads_spoken_asks(question: str, aspect: str | None) -> None:
    assert asked_aspect(question) == aspect


def test_the_asked_aspect_moves_up_and_the_other_aspects_down(
    session: Session,
    matter: dict[str, int],
    nano,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    q = "嗯那个律师执业许可去哪个窗口交"
    off = build_engine(
        session=session, embedder=nano, cache_dir=tmp_path, aspect_weight=0.0, aspect_bm25_factor=0.0
    )
    on = build_engine(session=session, embedder=nano, cache_dir=tmp_path)
    hits = on.search(q, top_k=4, explain=True).hits
    assert hits[0].entry_id == matter["location"]
    agree = {h.entry_id: h.aspect for h in hits}
    assert agree[matter["location"]] == 1
    assert agree[matter["materials"]] == agree[matter["department"]] == -1
    assert agree[matter["plain"]] == 0  # an entry without an aspect is left alone
    assert hits[0].to_json(explain=True)["explanation"]["aspect"] == 1
    # hybrid RRF: exactly ± aspect_weight against the same search without it
    base = {h.entry_id: h.score for h in off.search(q, top_k=4).hits}
    for h in hits:
        assert h.score == pytest.approx(base[h.entry_id] + h.aspect * on.p.aspect_weight)
    # BM25 alone: × (1 ± aspect_bm25_factor)
    bm_off = {h.entry_id: h.score for h in off.search(q, mode="bm25", top_k=4).hits}
    for h in on.search(q, mode="bm25", top_k=4).hits:
        assert h.score == pytest.approx(bm_off[h.entry_id] * (1 + h.aspect * on.p.aspect_bm25_factor))
    # dense alone and weighted fusion are not moved (as with places)
    assert all(h.aspect == 0 for h in on.search(q, mode="dense", top_k=4).hits)
    weighted = build_engine(session=session, embedder=nano, cache_dir=tmp_path, fusion="weighted")
    assert all(h.aspect == 0 for h in weighted.search(q, top_k=4).hits)
    # no aspect asked: nothing moves
    plain = on.search("律师执业许可", top_k=4).hits
    assert all(h.aspect == 0 for h in plain)
    assert [h.entry_id for h in plain] == [h.entry_id for h in off.search("律师执业许可", top_k=4).hits]
