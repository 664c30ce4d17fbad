"""Steering the top hit to the aspect a citizen asks about (rules in retrieval/aspects.py).

When the top hit is the right matter but another aspect, the same matter's entry for the asked
aspect (same region) replaces it: retrieval already ranks the asked aspect up, this makes it sure
for the one entry the assistant answers with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.models import Entry
from retrieval.aspects import asked_aspect

if TYPE_CHECKING:
    from retrieval import Hit


def steer(*, session: Session, question: str, hits: Sequence[Hit]) -> tuple[list[Hit], float]:
    """Hits with the top one moved to the asked aspect of its matter; and the aspect agreement
    feature: 1 the top entry answers the asked aspect, 0 it answers another, 0.5 unknown."""
    hits = list(hits)
    if not hits:
        return hits, 0.5
    wanted = asked_aspect(question)
    top = session.get(Entry, hits[0].entry_id)
    if top is None or top.aspect is None or wanted is None:
        return hits, 0.5
    if top.matter_key is None:
        return hits, float(top.aspect == wanted)
    # once the aspect is known, the matter's other aspects are not rival answers
    rest = [h for h in hits[1:] if not _same_matter(session, h, top)]
    if top.aspect == wanted:
        return [hits[0], *rest], 1.0
    sibling = session.scalars(
        select(Entry)
        .where(
            Entry.matter_key == top.matter_key,
            Entry.source_id == top.source_id,
            Entry.aspect == wanted,
            Entry.status == "published",
            Entry.kind == "qa",
            Entry.region_code.is_(None) if top.region_code is None else Entry.region_code == top.region_code,
        )
        .order_by(Entry.id)
        .limit(1)
    ).first()
    if sibling is None:
        return hits, 0.0
    moved = replace(
        hits[0],
        entry_id=sibling.id,
        external_key=sibling.external_key,
        question=sibling.question,
        matched_question=sibling.question,
    )
    return [moved, *rest], 1.0


def _same_matter(session: Session, hit: Hit, top: Entry) -> bool:
    other = session.get(Entry, hit.entry_id)
    return (
        other is not None
        and other.matter_key == top.matter_key
        and other.source_id == top.source_id
        and other.region_code == top.region_code
    )
