"""Cell-level checks shared by the adapters: text, placeholders, dates, regions, similar questions."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from kb import service as kb_service

# what government catalogues write when a field has no content
PLACEHOLDERS = frozenset({"", "无", "暂无", "无。", "/", "-", "--", "—", "null", "none", "n/a", "na", "空"})


def text(value: Any) -> str:
    """A cell as stripped text ('' for empty cells; numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def present(value: Any) -> bool:
    """True when a field carries content: not empty and not a placeholder such as 无."""
    if isinstance(value, list):
        return any(present(v) for v in value)
    return text(value).lower() not in PLACEHOLDERS


_SIMILAR_SPLIT = re.compile(r"[\r\n；;|｜]+")


def split_similar(value: Any) -> list[str]:
    """Similar questions from one cell, separated by newlines, ；/; or |."""
    return [s.strip() for s in _SIMILAR_SPLIT.split(text(value)) if s.strip()]


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(value: Any) -> date | None:
    """A date from a cell: an Excel date, or text such as 2024-03-01, 2024/3/1, 2024年3月1日, 20240301.

    Empty cells give None; anything else raises ValueError.
    """
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    raw = text(value)
    if not raw:
        return None
    cleaned = raw.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{raw!r} is not a date")


def resolve_region(*, session: Session, value: Any) -> str | None:
    """A region code from a name (天水市, 天水) or a GB/T 2260 code (620500); None for an empty cell.

    Raises ValueError when the KB does not know the region.
    """
    raw = text(value)
    if not raw:
        return None
    if raw.isdigit():
        if kb_service.get_region(session=session, code=raw) is None:
            raise ValueError(f"unknown region code {raw!r}")
        return raw
    region = kb_service.find_region_by_name(session=session, name=raw)
    if region is None:
        raise ValueError(f"unknown region {raw!r}")
    return region.code


_NESTED = re.compile(r"\(\(([^()]*(?:\([^()]*\)[^()]*)*)\)\)")


def normalise_name(name: str) -> str:
    """A matter's name reduced to what identifies it, so that tiers that spell it differently meet.

    Full-width forms become half-width (NFKC), whitespace goes, and doubled brackets collapse:
    ``律师执业变更审核(（执业类别变更）)`` and ``律师执业变更审核(执业类别变更)`` give the same key.
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    prev = None
    while prev != s:
        prev, s = s, _NESTED.sub(r"(\1)", s)
    return s
