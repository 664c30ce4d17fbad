"""Which aspect of a matter a citizen asks about, and steering the top hit to that aspect.

办事指南 sources split one matter into entries per aspect (materials, location, time limit, phones,
criteria, online, department). Retrieval finds the matter well but often the wrong aspect: "广州律师
转所找谁审核" matches the matter's materials entry as well as its department entry. The aspect is
asked in a handful of ways, so rules read it from the question; when the top hit is the right
matter but another aspect, the same matter's entry for the asked aspect (same region) replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import Entry

if TYPE_CHECKING:
    from retrieval import Hit

# First match wins: the more specific asks come first (投诉电话 before 电话, 网上在哪办 before 在哪办).
ASPECT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("complain_phone", re.compile(r"投诉|不满意|有意见|监督电话|举报电话")),
    (
        "online",
        re.compile(
            r"网上|线上|在线|网站|网址|平台|app|APP|小程序|公众号|不想跑|不用跑|不跑|邮寄"
            r"|((在|去|到|上)(哪|那)|哪里|哪儿)(里|理|儿)?(能|可以)?(看|查)"
        ),
    ),
    ("consult_phone", re.compile(r"电话|热线|号码|咨询找谁|打给谁|联系方式")),
    (
        "department",
        re.compile(
            r"哪个部门|什么部门|哪个单位|哪家单位|谁负责|谁管|归谁|找谁|谁(来)?(审批|审核|批|办)|哪个局|哪个厅"
            # 哪 heard as 那: "需要那个部门审核"
            r"|那个(部门|单位|局|厅)(来)?(审批|审核|批|办|管|负责|同意)"
        ),
    ),
    # a deadline for applying ("入境后多少天内要办", "提前几天申请") is an acceptance condition; how long
    # the office takes is the time limit
    (
        "criteria",
        re.compile(
            r"提前(多少|几)天|(多少|几)(天|日|个月|个工作日)(之)?内(要|得|必须|需要)?(办(?!结|好|完|下)|提|申请|申报|报)"
        ),
    ),
    # a deadline asked after a place ("材料交到哪以后要几天") is about the deadline
    (
        "time_limit",
        re.compile(
            r"多久|多长时间|多少天|几天|几个工作日|时限|多快|多少个工作日|啥时候能办好|什么时候能办好"
        ),
    ),
    # an explicit ask for documents outranks a place mentioned in passing ("所里搬地址了，备案要啥材料")
    (
        "materials",
        re.compile(
            r"(什么|啥|哪些|哪样|几样)(材料|资料|证件|手续|东西)|(交|带|拿|提交|准备)(什么|啥|哪些)(?!时候)"
        ),
    ),
    # speech recognition often writes 哪 as 那 ("去那办", "在那里交"); 上哪/到哪 are spoken forms
    (
        "location",
        re.compile(
            r"递到哪|交到哪|送到哪|在哪|去哪|上哪|到哪|哪里|哪儿|地址|地点|窗口|房间|几楼|哪个大厅"
            r"|(在|去|到|上)那(里|理|儿)?(办|交|递|领|拿|申请|去)"
        ),
    ),
    (
        "materials",
        re.compile(
            r"材料|资料|带什么|带啥|带哪些|要带|准备什么|准备哪些|准备啥|提交什么|提交哪些|手续|东西|证件"
        ),
    ),
    (
        "criteria",
        re.compile(
            r"条件|标准|资格|符合|够不够|能不能申请|可以申请吗|能申请吗|要求|什么样的人|哪些人(可以|能)|谁(可以|能)申请"
        ),
    ),
)


def asked_aspect(question: str) -> str | None:
    """The aspect a question asks about, or None when it does not say.

    >>> asked_aspect("律师执业变更找谁审核")
    'department'
    """
    for aspect, pattern in ASPECT_PATTERNS:
        if pattern.search(question):
            return aspect
    return None


def steer(*, session: Session, question: str, hits: Sequence[Hit]) -> tuple[list[Hit], float]:
    """Hits with the top one moved to the asked aspect of its matter; and the aspect agreement
    feature: 1 the top entry answers the asked aspect, 0 it answers another, 0.5 unknown."""
    hits = list(hits)
    if not hits:
        return hits, 0.5
    wanted = asked_aspect(question)
    top = session.get(Entry, hits[0].entry_id)
    if top is None or top.aspect is None or wanted is None:
        return hits, 0.5
    if top.matter_key is None:
        return hits, float(top.aspect == wanted)
    # once the aspect is known, the matter's other aspects are not rival answers
    rest = [h for h in hits[1:] if not _same_matter(session, h, top)]
    if top.aspect == wanted:
        return [hits[0], *rest], 1.0
    sibling = session.scalars(
        select(Entry)
        .where(
            Entry.matter_key == top.matter_key,
            Entry.source_id == top.source_id,
            Entry.aspect == wanted,
            Entry.status == "published",
            Entry.kind == "qa",
            Entry.region_code.is_(None) if top.region_code is None else Entry.region_code == top.region_code,
        )
        .order_by(Entry.id)
        .limit(1)
    ).first()
    if sibling is None:
        return hits, 0.0
    moved = replace(
        hits[0],
        entry_id=sibling.id,
        external_key=sibling.external_key,
        question=sibling.question,
        matched_question=sibling.question,
    )
    return [moved, *rest], 1.0


def _same_matter(session: Session, hit: Hit, top: Entry) -> bool:
    other = session.get(Entry, hit.entry_id)
    return (
        other is not None
        and other.matter_key == top.matter_key
        and other.source_id == top.source_id
        and other.region_code == top.region_code
    )
