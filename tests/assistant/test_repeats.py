"""Repeat detection on plain records."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.repeats import Record, find_repeat, normalise_phone, similarity

T0 = datetime(2024, 5, 1, 9, 0)


def rec(i: int, days: float, text: str, phone: str | None = None, category: str | None = None) -> Record:
    return Record(
        id=i, created_at=T0 + timedelta(days=days), text=text, caller_phone=phone, category=category
    )


def test_same_caller_within_window_links_to_the_latest_earlier_ticket() -> None:
    earlier = [
        rec(1, 0, "城关区雁滩路馨和苑小区停水两天", "13812345678"),
        rec(2, 2, "馨和苑小区停水还没恢复", "+86 138 1234 5678"),
    ]
    new = rec(3, 4, "馨和苑小区又停水了，一直没人管", "138-1234-5678")
    found = find_repeat(new, earlier)
    assert found is not None and found.earlier_id == 2 and found.reason == "same_caller"


def test_same_caller_outside_window_or_other_matter_is_not_a_repeat() -> None:
    old = rec(1, 0, "城关区雁滩路馨和苑小区停水两天", "13812345678")
    assert find_repeat(rec(2, 31, "馨和苑小区停水", "13812345678"), [old], window_days=30) is None
    assert find_repeat(rec(2, 3, "咨询孩子入学需要什么材料", "13812345678"), [old]) is None


def test_same_place_and_issue_from_different_callers() -> None:
    old = rec(1, 0, "来电人反映安宁区银滩路一处工地每晚23点后仍在施工，噪音很大", "13900000001", "环境保护")
    new = rec(2, 1, "安宁区银滩路工地夜里还在施工噪音很大睡不着", "13900000002", "环境保护")
    found = find_repeat(new, [old])
    assert found is not None and found.reason == "same_place_and_issue"
    # same place, different issue
    other = rec(3, 1, "安宁区银滩路的路灯坏了好几盏", "13900000003", "城乡建设")
    assert find_repeat(other, [old]) is None


def test_future_and_self_records_are_ignored() -> None:
    new = rec(1, 0, "馨和苑小区停水", "13812345678")
    later = rec(2, 1, "馨和苑小区停水", "13812345678")
    assert find_repeat(new, [new, later]) is None


def test_helpers_and_bad_window() -> None:
    assert normalise_phone("0086 138-1234-5678") == "13812345678"
    assert normalise_phone("123") is None and normalise_phone(None) is None
    assert similarity("停水两天", "停水两天了") == 1.0 and similarity("", "x") == 0.0
    with pytest.raises(ValueError, match="window_days"):
        find_repeat(rec(1, 0, "x"), [], window_days=-1)
