"""Search filters over the engine's catalogue: jurisdiction (kb.federation's rules), status, validity,
tier, department, topic, kind, source.

Filters become one boolean mask over catalogue slots (vectorised numpy), computed before scoring so
that BM25 and the vector index only ever rank admissible entries. The most-specific-wins rule of
kb.federation is applied afterwards to the few candidates, against every admissible entry of the same
(matter_key, aspect).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from kb.federation import specificity
from kb.models import ENTRY_KINDS, ENTRY_STATUSES, SOURCE_TIERS
from retrieval.errors import BadQuery

if TYPE_CHECKING:
    from retrieval.engine import Catalog


@dataclass(frozen=True)
class SearchFilters:
    """What a search may return besides jurisdiction. ``valid_on=None`` means today."""

    status: str | None = "published"
    valid_on: date | None = None
    kinds: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    department: str | None = None
    topic: str | None = None
    sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # lists from callers become tuples so filters stay hashable (masks are cached by filters)
        for name in ("kinds", "tiers", "sources"):
            v = getattr(self, name)
            if isinstance(v, str):
                object.__setattr__(self, name, (v,))
            elif not isinstance(v, tuple):
                object.__setattr__(self, name, tuple(v))
        self.check()

    def check(self) -> None:
        """BadQuery naming the bad value and the allowed ones."""
        if self.status is not None and self.status not in ENTRY_STATUSES:
            raise BadQuery(f"status {self.status!r} is not one of {', '.join(ENTRY_STATUSES)}")
        for k in self.kinds:
            if k not in ENTRY_KINDS:
                raise BadQuery(f"kind {k!r} is not one of {', '.join(ENTRY_KINDS)}")
        for t in self.tiers:
            if t not in SOURCE_TIERS:
                raise BadQuery(f"tier {t!r} is not one of {', '.join(SOURCE_TIERS)}")


def chain_of(regions: dict[str, tuple[str | None, str, str]], code: str) -> list[str]:
    """``code`` and its ancestors, most specific first (regions: code -> (parent, level, name))."""
    if code not in regions:
        raise BadQuery(
            f"unknown region code {code!r}: use a GB/T 2260 code the KB knows (GET /kb/regions lists them)"
        )
    chain: list[str] = []
    c: str | None = code
    while c is not None and c not in chain and c in regions:
        chain.append(c)
        c = regions[c][0]
    return chain


def mask(catalog: Catalog, filters: SearchFilters, chain: Sequence[str] | None) -> np.ndarray:
    """Admissible slots: alive, matching every filter and, with a chain, applicable to the asker."""
    a = catalog.arrays()
    m = a["alive"].copy()
    if filters.status is not None:
        m &= a["status"] == catalog.code("status", filters.status)
    day = (filters.valid_on or date.today()).toordinal()
    m &= (a["eff"] <= day) & (a["exp"] >= day)
    if filters.kinds:
        m &= np.isin(a["kind"], [catalog.code("kind", k) for k in filters.kinds])
    if filters.tiers:
        m &= np.isin(a["tier"], [catalog.code("tier", t) for t in filters.tiers])
    if filters.sources:
        m &= np.isin(a["source"], [catalog.code("source", s) for s in filters.sources])
    if filters.department is not None:
        m &= a["dept"] == catalog.code("dept", filters.department)
    if filters.topic is not None:
        tm = np.zeros_like(m)
        slots = catalog.topic_slots(filters.topic)
        if slots:
            tm[np.fromiter(slots, dtype=np.int64)] = True
        m &= tm
    if chain is not None:
        codes = [catalog.code("region", c) for c in chain]
        m &= (a["region"] == -1) | np.isin(a["region"], codes)
    return m


def most_specific(
    catalog: Catalog, slots: Sequence[int], admissible: np.ndarray, chain: Sequence[str]
) -> list[int]:
    """Drop candidates shadowed by a more specific admissible entry of the same (matter_key, aspect)."""
    out: list[int] = []
    best: dict[int, int] = {}
    for s in slots:
        g = catalog.group_of(s)
        if g < 0:
            out.append(s)
            continue
        if g not in best:
            best[g] = max(
                (specificity(catalog.region_code(o), chain) for o in catalog.group_slots(g) if admissible[o]),
                default=-1,
            )
        if specificity(catalog.region_code(s), chain) >= best[g]:
            out.append(s)
    return out
