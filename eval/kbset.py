"""The KB under evaluation: the covid_policy_qa and gd_matters sources, ingested with the ingest adapters.

``ensure_eval_kb`` fills a database once (skips sources already present); ``gate_keep`` picks the
small, deterministic KB of the CI gate: every entry a set expects plus a hash-chosen share of the
others as distractors, so the gate stays fast on a fresh clone and still has to rank.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eval.errors import KBNotReady
from kb.models import Entry, Source

SOURCES: dict[str, str] = {
    "covid_policy_qa": "covid_policy_qa/NCPPolicies_train_20200301.tsv",
    "gd_matters": "gd_matters/policy.jsonl",
}


class _Subset:
    """An ingest adapter that passes on only the rows whose external key ``keep`` accepts."""

    def __init__(self, inner: Any, keep: Callable[[str], bool]) -> None:
        self.inner = inner
        self.keep = keep
        self.source_type = inner.source_type

    def prepare(self, *, session: Session) -> None:
        self.inner.prepare(session=session)

    def candidates(self, *, session: Session) -> Iterator[Any]:
        for c in self.inner.candidates(session=session):
            if c.entry is not None and c.entry.external_key and self.keep(c.entry.external_key):
                yield c


def source_counts(*, session: Session) -> dict[str, int]:
    """Entries per source code."""
    rows = session.execute(
        select(Source.code, func.count(Entry.id))
        .join(Entry, Entry.source_id == Source.id)
        .group_by(Source.code)
    )
    return {row[0]: row[1] for row in rows}


def ensure_eval_kb(
    *,
    session: Session,
    shared_data: Path,
    keep: Callable[[str], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Ingest each evaluation source missing from the database; returns notes on what was done.

    Rows the adapter rejects are left out and noted (the evaluation then reports any expected key
    they held as missing), so one bad row in a public dataset does not block an evaluation.
    """
    from ingest.runner import run_import
    from ingest.sources import make_adapter

    say = progress or (lambda _m: None)
    present = source_counts(session=session)
    notes = []
    for code, rel in SOURCES.items():
        if present.get(code):
            continue
        path = shared_data / rel
        if not path.is_file():
            raise KBNotReady(
                f"{path} not found: point --shared-data (LIANXIN_SHARED_DATA) at the folder holding {rel}"
            )
        say(f"ingesting {code} from {path}")
        adapter: Any = make_adapter(code, path)
        if keep is not None:
            adapter = _Subset(adapter, keep)
        report = run_import(session=session, adapter=adapter, good_rows_only=True, actor="eval")
        notes.append(f"ingested {code}: {report.summary()}")
        if report.errors:
            notes.append(
                f"{code}: {len(report.errors)} rows rejected by ingest, e.g. row {report.errors[0].row}: {report.errors[0].problem}"
            )
    return notes


def known_keys(*, session: Session) -> set[str]:
    """External keys of the published entries (what an evaluation set may expect)."""
    return set(
        session.scalars(
            select(Entry.external_key).where(Entry.status == "published", Entry.external_key.is_not(None))
        )
    )


def entry_regions(*, session: Session) -> dict[str, str | None]:
    """Region of each entry by external key (for the region-correctness of answers)."""
    rows = session.execute(
        select(Entry.external_key, Entry.region_code).where(Entry.external_key.is_not(None))
    )
    return {row[0]: row[1] for row in rows if row[0] is not None}


def gate_keep(expected: set[str], *, distractor_share: float) -> Callable[[str], bool]:
    """Keep every expected key and a stable ``distractor_share`` of the rest (by key hash)."""
    cut = int(distractor_share * 10_000)

    def keep(key: str) -> bool:
        return key in expected or int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 10_000 < cut

    return keep
