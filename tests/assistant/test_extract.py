"""Ticket drafting field extraction."""

from __future__ import annotations

import pytest

from assistant.extract import chinese_number, extract, find_location, mask_contacts


def test_fields_of_an_agent_summary() -> None:
    f = extract(
        "市民来电反映：其居住的城关区雁滩路馨和苑小区物业近两个月未清运生活垃圾。诉求：督促物业尽快清运。"
    )
    assert f.location == "城关区雁滩路馨和苑小区"
    assert f.time == "近两个月"
    assert f.request == "督促物业尽快清运"
    assert f.contact is None and f.affected is None


def test_fields_of_spoken_words_with_contact_masked() -> None:
    text = "我叫张三电话13812345678身份证620102199001011234家住七里河区西津西路街道建西东路社区3号楼，昨天晚上10点停电到现在，整栋楼二十多户都没电，希望尽快恢复"
    f = extract(text)
    assert f.contact == "138****5678"
    assert f.location == "七里河区西津西路街道建西东路社区3号楼"
    assert "昨天" in (f.time or "") and "10点" in (f.time or "")
    assert f.affected == 20
    assert f.request == "希望尽快恢复"
    # nothing in the draft carries the unmasked numbers
    assert "13812345678" not in str(f.as_dict()) and "199001011234" not in str(f.as_dict())


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13812345678", "电话138****5678"),
        ("手机 138-1234-5678 联系", "手机 138****5678 联系"),
        ("座机0931-8123456", "座机093****3456"),
        ("身份证62010219900101123X", "身份证620102********123X"),
    ],
)
def test_mask_contacts(text: str, masked: str) -> None:
    assert mask_contacts(text) == masked


@pytest.mark.parametrize(
    ("token", "value"),
    [("二十", 20), ("三十五", 35), ("十", 10), ("两", 2), ("上百", 100), ("120", 120), ("一百二十", 120)],
)
def test_chinese_numbers(token: str, value: int) -> None:
    assert chinese_number(token) == value


def test_affected_counts_and_their_absence() -> None:
    assert extract("三十余名业主聚集").affected == 30
    assert extract("受影响顾客约上百人").affected == 100
    assert extract("暖气不热").affected is None


def test_location_ignores_words_that_only_end_like_places() -> None:
    assert find_location("物业一直不管，多次反映") is None
    assert find_location("来电人反映麦积区林家沟村暴雨后山洪") == "麦积区林家沟村"


def test_empty_and_huge_input() -> None:
    assert extract("").location is None and extract("").request is None
    assert extract("路" * 20000).request is not None
