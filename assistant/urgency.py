"""Urgency rules: which tickets must skip the queue (public safety, disaster, gas, group incidents, life).

Rules, not a model: a missed urgent ticket costs far more than a false alarm, the cues are few and
well known to hotline agents, and every flag must be explainable. Each rule is a named regular
expression; `urgency()` returns the names that fired so the agent sees why a ticket was flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A count of people large enough to make a gathering a group incident (群体性事件).
_CROWD = (
    r"(?:[二三四五六七八九十百数几多好]+十?[余多来]?|\d{2,}\s*[余多来]?)个?(?:名|人|户|位|工人|村民|业主)"
)

RULES: dict[str, re.Pattern[str]] = {
    # gas: a leak or its smell, never a bill or a meter question
    "gas_leak": re.compile(
        r"(?:燃气|煤气|天然气|液化气|气罐).{0,12}(?:泄漏|泄露|漏气|漏了|味道?(?:很|特别|非常|好|太|挺)?(?:浓|大|重|冲)|嘶嘶|爆炸)"
        r"|(?:泄漏|泄露|漏气|闻到).{0,8}(?:燃气|煤气|天然气|液化气)"
    ),
    "disaster": re.compile(
        r"山洪|泥石流|滑坡|塌方|决堤|溃坝|垮坝|洪水|发大水|地震|雪崩|内涝.{0,10}被困|水位暴涨|暴雨.{0,20}(?:被困|转移|冲毁|倒塌)"
    ),
    "fire": re.compile(r"着火|起火|失火|火灾(?!隐患)|浓烟|爆炸"),
    "hazmat": re.compile(
        r"危化品|危险化学品|化学品.{0,10}泄漏|罐车.{0,10}(?:侧翻|泄漏)|有毒气体|刺鼻.{0,6}(?:气味|味道).{0,20}(?:泄漏|侧翻)|(?:泄漏|侧翻).{0,20}刺鼻"
    ),
    # a crowd alone is a meeting; a crowd with a protest cue is a group incident
    "group_incident": re.compile(
        rf"{_CROWD}.{{0,24}}(?:围堵|堵路|堵门|堵在|静坐|拉横幅|上访|讨要|情绪(?:很|非常|比较)?激动|爬上|冲突|打起来|聚集在.{{0,8}}(?:政府|门口|现场))"
        rf"|(?:围堵|堵路|堵门|静坐|拉横幅|情绪激动).{{0,24}}{_CROWD}|群体性事件|集体上访|爬上塔吊|爬塔吊"
    ),
    "threat_to_life": re.compile(
        r"被困|困在|出不来|被冲走|生命危险|危及生命|轻生|自杀|跳楼|跳河|割腕|昏迷|不省人事|触电|溺水|坠楼|持刀|砍人|杀人|"
        r"人员伤亡|有人受伤|多人受伤|重伤|急救|中毒|坍塌|倒塌.{0,10}(?:压|伤|困)"
    ),
}


@dataclass
class Urgency:
    urgent: bool
    reasons: list[str] = field(default_factory=list)


def urgency(text: str) -> Urgency:
    """Flag a ticket as urgent and name the rules that fired.

    >>> urgency("楼道内燃气味很浓，疑似管道泄漏").reasons
    ['gas_leak']
    """
    reasons = [name for name, pattern in RULES.items() if pattern.search(text)]
    # Callers type 紧急 themselves; it's a cue, not proof, so only together with another rule or a
    # request for immediate action does it flag on its own.
    if not reasons and re.search(r"紧急", text) and re.search(r"立即|马上|立刻|尽快到场|现场", text):
        reasons.append("marked_urgent")
    return Urgency(urgent=bool(reasons), reasons=reasons)
