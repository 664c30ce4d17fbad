"""Masking of personal numbers for display, logs and LLM prompts.

The hotline keeps a caller's full phone number only where the process needs it (the callback);
everything shown, logged or sent to a model goes through these helpers first.
"""

from __future__ import annotations

import re

# Mainland mobile numbers (1[3-9]x, 11 digits), optionally written +86 / 86 first.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# Landlines with an area code: 0931-8888888, 0931 88888888, 093188888888.
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{7,8})(?!\d)")
# Resident identity numbers: 18 characters (last may be X) or the old 15-digit form.
_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")


def mask_phone(phone: str | None) -> str | None:
    """Keep the first 3 and last 4 digits of a phone number, star the rest.

    >>> mask_phone("13912345678")
    '139****5678'
    >>> mask_phone("0931-8123456")
    '093****3456'
    >>> mask_phone("12345")
    '*****'

    Numbers too short to keep 7 digits of are starred out completely; separators are dropped.
    """
    if phone is None:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """Keep the first 6 (the issuing region) and last 4 characters of an ID number.

    >>> mask_id_number("620102199001011234")
    '620102********1234'
    >>> mask_id_number("62010219900101X")
    '620102*****101X'
    """
    if id_number is None:
        return None
    s = id_number.strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_text(text: str) -> str:
    """Mask every ID number, mobile and landline number inside free text.

    Use before logging a citizen's words or putting them into an LLM prompt.

    >>> mask_text("我叫张三，电话13912345678，身份证620102199001011234")
    '我叫张三，电话139****5678，身份证620102********1234'
    >>> mask_text("请拨打0931-8123456咨询")
    '请拨打093****3456咨询'

    ID numbers are masked first so that their digits are not mistaken for phone numbers.
    """
    text = _ID18.sub(lambda m: mask_id_number(m.group(0)) or "", text)
    text = _ID15.sub(lambda m: mask_id_number(m.group(0)) or "", text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(1) + m.group(2) + m.group(3)) or "", text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(1) + m.group(2)) or "", text)
