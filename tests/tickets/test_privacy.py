"""Masking of phone and ID numbers (display, logs, LLM prompts)."""

from __future__ import annotations

import doctest

import tickets.privacy
from tickets.privacy import mask_id_number, mask_phone, mask_text


def test_docstring_examples_hold():
    assert doctest.testmod(tickets.privacy).failed == 0


def test_mask_phone_keeps_three_and_four_digits():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("+86 139-1234-5678") == "139****5678"
    assert mask_phone("0931-8123456") == "093****3456"
    assert mask_phone("110") == "***"
    assert mask_phone(None) is None


def test_mask_id_number_keeps_region_and_last_four():
    assert mask_id_number("62010219900101123X") == "620102********123X"


def test_mask_text_masks_every_number_and_leaves_other_words():
    text = "张三 13912345678 和 18800001111，身份证 62010219900101123X，座机 0931 8123456。订单号 12345。"
    masked = mask_text(text)
    for secret in ("13912345678", "18800001111", "62010219900101123X", "8123456"):
        assert secret not in masked
    assert "139****5678" in masked and "188****1111" in masked and "620102********123X" in masked
    assert "订单号 12345" in masked and masked.startswith("张三 ")
