"""Rule-based follow-up rewriting (the path without an LLM)."""

from __future__ import annotations

import pytest

from assistant.rewrite import is_followup, rewrite, subject_of


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        (["办理护照需要什么材料？"], "在哪里办", "办理护照在哪里办"),
        (["护照需要什么材料"], "那要多久呢", "护照要多久"),
        (["社保卡丢了怎么补办"], "还有医保卡呢", "医保卡怎么补办"),
        (["嗯 那个护照在哪办"], "那港澳通行证呢", "港澳通行证在哪办"),
        (
            ["城乡居民养老保险在哪里参保登记", "谢谢"],
            "那每年什么时候缴费呢",
            "城乡居民养老保险每年什么时候缴费",
        ),
    ],
)
def test_follow_ups_are_made_self_contained(history: list[str], question: str, expected: str) -> None:
    assert rewrite(question, history) == expected


@pytest.mark.parametrize(
    "question", ["新生儿落户需要什么材料", "我想问新生儿落户怎么办理", "城关区老旧小区改造怎么报名"]
)
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert not is_followup(question)
    assert rewrite(question, ["护照需要什么材料"]) is None


def test_no_history_no_rewrite() -> None:
    assert rewrite("在哪里办", []) is None


def test_subject_strips_fillers_and_question_phrase() -> None:
    assert subject_of("嗯 那个请问公积金提取需要带什么材料？") == "公积金提取"
