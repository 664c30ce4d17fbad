"""Urgency rules: every kind of urgent ticket is flagged; look-alikes are not."""

from __future__ import annotations

import pytest

from assistant.urgency import urgency


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("楼道里燃气味很浓，可能漏气了", "gas_leak"),
        ("餐馆液化气罐阀门嘶嘶漏气", "gas_leak"),
        ("闻到天然气的味道好大", "gas_leak"),
        ("暴雨后山洪冲毁便桥", "disaster"),
        ("后山出现裂缝有泥石流冲下", "disaster"),
        ("小区对面那栋楼着火了冒浓烟", "fire"),
        ("路口一辆罐车侧翻有液体泄漏", "hazmat"),
        ("四十多名工人聚集堵路讨要工资", "group_incident"),
        ("二十多名农民工爬上塔吊讨薪", "group_incident"),
        ("三十余名业主聚集在区政府门口", "group_incident"),
        ("有人站在楼顶说要跳楼", "threat_to_life"),
        ("电梯困人，里面有老人被困半小时", "threat_to_life"),
        ("村里二十多户群众被困", "threat_to_life"),
        # spoken, unpunctuated, as speech recognition writes it
        ("喂你好我们小区那个天然气好像漏了味道特别大", "gas_leak"),
        ("我们村河沟里发大水了人还在屋里出不来", "disaster"),
        ("好几十个人堵在厂门口要工资情绪很激动都快打起来了", "group_incident"),
    ],
)
def test_urgent_kinds_are_flagged(text: str, reason: str) -> None:
    result = urgency(text)
    assert result.urgent and reason in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "燃气费缴费后气量迟迟不到账",
        "楼道堆放杂物存在火灾隐患",
        "某村经常聚集十余人进行宗教活动",
        "小区暖气不热",
        "咨询养老保险怎么缴",
    ],
)
def test_look_alikes_are_not_urgent(text: str) -> None:
    assert not urgency(text).urgent


def test_marked_urgent_needs_an_immediate_request() -> None:
    assert urgency("紧急情况，请立即派人到现场").reasons == ["marked_urgent"]
    assert not urgency("不紧急，有空看看").urgent
