"""Repeat detection (重复件): link a new ticket to an earlier one about the same thing.

A repeat is, within `window_days` before the new ticket:
- the same caller (phone numbers equal once normalised) about a similar matter, or the same caller
  with no matter text to compare; or
- the same place (extracted street / community, one containing the other) and a similar issue
  (character-bigram overlap of the texts, and the same category where both have one).

Works on plain records so the tickets package can call it with whatever it stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.extract import find_location


@dataclass(frozen=True)
class Record:
    id: int | str
    created_at: datetime
    text: str
    caller_phone: str | None = None
    location: str | None = None  # extracted from the text when None
    category: str | None = None  # e.g. "城乡建设/城市建设和市政管理"


@dataclass(frozen=True)
class Repeat:
    earlier_id: int | str
    reason: str  # "same_caller" | "same_place_and_issue"
    similarity: float


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, without a +86 / 0086 prefix; None for anything shorter than 7 digits."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    digits = re.sub(r"^(?:0086|86)(?=1\d{10}$)", "", digits)
    return digits if len(digits) >= 7 else None


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fa5A-Za-z0-9]", "", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap coefficient of character bigrams (robust to one text being a longer retelling)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def _same_place(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a in b or b in a


def find_repeat(
    new: Record,
    earlier: Iterable[Record],
    *,
    window_days: int = 30,
    same_caller_similarity: float = 0.2,
    same_place_similarity: float = 0.35,
) -> Repeat | None:
    """The most recent earlier record that `new` repeats, or None.

    >>> from datetime import datetime
    >>> a = Record(1, datetime(2024, 5, 1), "城关区雁滩路馨和苑小区停水两天", "13812345678")
    >>> b = Record(2, datetime(2024, 5, 3), "馨和苑小区还是停水，没人管", "138-1234-5678")
    >>> find_repeat(b, [a]).reason
    'same_caller'
    """
    if window_days < 0:
        raise ValueError(f"window_days must be 0 or more, got {window_days}")
    since = new.created_at - timedelta(days=window_days)
    phone = normalise_phone(new.caller_phone)
    place = new.location or find_location(new.text)
    best: tuple[datetime, Repeat] | None = None
    for old in earlier:
        if old.id == new.id or not (since <= old.created_at <= new.created_at):
            continue
        sim = similarity(new.text, old.text)
        found = None
        same_caller = bool(phone) and phone == normalise_phone(old.caller_phone)
        if same_caller and (sim >= same_caller_similarity or not new.text.strip() or not old.text.strip()):
            found = Repeat(old.id, "same_caller", round(sim, 3))
        if found is None and _same_place(place, old.location or find_location(old.text)):
            same_category = not (new.category and old.category) or new.category == old.category
            if sim >= same_place_similarity and same_category:
                found = Repeat(old.id, "same_place_and_issue", round(sim, 3))
        if found and (best is None or old.created_at > best[0]):
            best = (old.created_at, found)
    return best[1] if best else None
