"""Federation rules: which entries apply to an asker in region R, and which tier wins.

For an asker in R:
- applicable entries are scoped to R or to an ancestor of R, plus entries without a region;
- when several tiers answer the same matter (same ``matter_key`` and ``aspect``), the most specific
  applicable entry wins (county > city > province > no region);
- entries of other regions never appear for R.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from kb.models import Entry


class Scoped(Protocol):
    region_code: str | None
    matter_key: str | None
    aspect: str | None


T = TypeVar("T", bound=Scoped)


def specificity(region_code: str | None, chain: Sequence[str]) -> int:
    """Higher is more specific; -1 when the entry does not apply to the chain at all."""
    if region_code is None:
        return 0
    if region_code not in chain:
        return -1
    return len(chain) - chain.index(region_code)


def applies(region_code: str | None, chain: Sequence[str]) -> bool:
    """True when an entry scoped to ``region_code`` applies to an asker whose region chain is ``chain``."""
    return region_code is None or region_code in chain


def resolve(items: Iterable[T], chain: Sequence[str]) -> list[T]:
    """Keep applicable items, and per (matter_key, aspect) only the most specific; order is preserved.

    ``chain`` is the asker's region and its ancestors, most specific first (see ``region_chain``);
    an empty chain (asker of unknown region) keeps only entries without a region. Agents who want
    every tier side by side skip ``resolve`` and label the entries instead.
    """
    items = [it for it in items if applies(it.region_code, chain)]
    best: dict[tuple[str, str | None], int] = {}
    for it in items:
        if it.matter_key:
            k = (it.matter_key, it.aspect)
            best[k] = max(best.get(k, -1), specificity(it.region_code, chain))
    return [
        it
        for it in items
        if not it.matter_key or specificity(it.region_code, chain) == best[(it.matter_key, it.aspect)]
    ]


def federated_condition(
    chain: Sequence[str], *, status: str | None = "published", valid_on: date | None = None
) -> ColumnElement[bool]:
    """The rules above as one SQL condition on ``Entry`` (for paged listings at any KB size).

    Only entries that could be given themselves shadow others: with ``valid_on``, an expired or
    not-yet-effective city entry does not hide the province's valid answer.
    """
    other = aliased(Entry)
    same_matter = and_(
        other.matter_key == Entry.matter_key,
        or_(other.aspect == Entry.aspect, and_(other.aspect.is_(None), Entry.aspect.is_(None))),
        other.id != Entry.id,
    )
    if status:
        same_matter = and_(same_matter, other.status == status)
    if valid_on is not None:
        same_matter = and_(
            same_matter,
            or_(other.effective_from.is_(None), other.effective_from <= valid_on),
            or_(other.expires_at.is_(None), other.expires_at >= valid_on),
        )
    shadowed: list[ColumnElement[bool]] = []
    for i, code in enumerate(chain):
        if i:
            shadowed.append(
                and_(Entry.region_code == code, exists().where(same_matter, other.region_code.in_(chain[:i])))
            )
    if chain:
        shadowed.append(
            and_(Entry.region_code.is_(None), exists().where(same_matter, other.region_code.in_(chain)))
        )
    applicable = or_(Entry.region_code.in_(list(chain)), Entry.region_code.is_(None))
    not_shadowed = or_(Entry.matter_key.is_(None), ~or_(*shadowed)) if shadowed else ~false()
    return and_(applicable, not_shadowed)


# ---------------------------------------------------------------- conflicts between tiers

# 123xx: government service hotlines (12345, 12348 legal aid, 12366 tax ...), often written 020-12366
_PHONE = re.compile(
    r"(?<!\d)(?:0\d{2,3}[-－ ]?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)(?:0\d{2,3}[-－ ]?)?123\d\d(?!\d)"
)
_HOTLINE = re.compile(r"0\d{2,3}(123\d\d)")


def _phone_key(phone: str) -> str:
    """Digits only; a hotline with an area code (020-12366) is the hotline (12366)."""
    digits = re.sub(r"[-－ ]", "", phone)
    m = _HOTLINE.fullmatch(digits)
    return m.group(1) if m else digits


_DAYS = re.compile(r"(\d+)\s*[（(]?\s*(?:个)?(工作日|自然日|日|天|小时)")


def facts(text: str) -> dict[str, frozenset[str]]:
    """Facts that must agree across tiers: phone numbers, time limits, and the stated location."""
    phones = frozenset(_phone_key(p) for p in _PHONE.findall(text))
    days = frozenset(f"{n}{u}" for n, u in _DAYS.findall(text))
    loc = ""
    m = re.search(r"(?:办理地点|地址|地点)[:：]\s*([^；;。\n]+)", text)
    if m:
        loc = re.sub(r"\s+", "", m.group(1))
    return {"phone": phones, "time_limit": days, "location": frozenset([loc] if loc else [])}


@dataclass
class Conflict:
    matter_key: str
    aspect: str | None
    fact: str
    values: dict[str, list[str]] = field(default_factory=dict)  # "region (tier) #id" -> values
    entry_ids: list[int] = field(default_factory=list)


def conflicts(
    *, session: Session, status: str | None = None, visible: Callable[[Entry], bool] | None = None
) -> list[Conflict]:
    """Matters answered by several regions/tiers whose facts (phone, location, time limit) disagree.

    ``visible`` keeps only the entries a caller may read, so a conflict never shows another
    department's or region's entry to someone who could not open it.
    """
    stmt = select(Entry).where(Entry.matter_key.is_not(None), Entry.status != "retired")
    if status:
        stmt = stmt.where(Entry.status == status)
    groups: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for e in session.scalars(stmt.order_by(Entry.id)).unique():
        assert e.matter_key is not None
        if visible is not None and not visible(e):
            continue
        groups[(e.matter_key, e.aspect)].append(e)
    out: list[Conflict] = []
    for (mk, aspect), entries in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if len({e.region_code for e in entries}) < 2:
            continue
        per_entry = {e.id: facts(e.answer) for e in entries}
        for fact in ("phone", "location", "time_limit"):
            present = {eid: f[fact] for eid, f in per_entry.items() if f[fact]}
            if len(present) >= 2 and len(set(present.values())) > 1:
                c = Conflict(matter_key=mk, aspect=aspect, fact=fact)
                for e in entries:
                    if e.id in present:
                        label = f"{e.region.name if e.region else '全域'} ({e.tier}) #{e.id}"
                        c.values[label] = sorted(present[e.id])
                        c.entry_ids.append(e.id)
                out.append(c)
    return out
