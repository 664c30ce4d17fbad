"""Sentiment cues: angry, anxious, neutral."""

from __future__ import annotations

import pytest

from assistant.sentiment import sentiment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来电人咨询：想了解办理退休需要哪些手续。", "neutral"),
        ("公交车发车间隔太长，建议加密班次。", "neutral"),
        ("物业多次找了无果，态度恶劣，拒不处理。", "angry"),
        ("老板克扣工资还拒绝出具证明。", "angry"),
        ("家中有老人和婴儿，已断气两天无法做饭，很担心。", "anxious"),
        ("山洪冲毁便桥，群众被困，情况危险。", "anxious"),
        ("我家楼上天天晚上吵到两三点都睡不着觉说了好几次都没用", "angry"),
        ("天然气好像漏了我们都不敢在家待了你们赶紧派人来", "anxious"),
    ],
)
def test_sentiment(text: str, expected: str) -> None:
    assert sentiment(text) == expected


def test_urgent_calm_words_are_anxious_but_blame_stays_angry() -> None:
    assert sentiment("邻居家着火了", urgent=True) == "anxious"
    assert sentiment("邻居家着火了") == "neutral"
    assert sentiment("三十名工人因厂方拖欠工资聚集", urgent=True) == "angry"
