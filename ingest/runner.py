"""Run one import: validate every row, then write all rows (or only the good ones) in one transaction.

Every adapter turns its file into ``Candidate`` rows (an ``EntryCreate`` or the row's problems);
``run_import`` does the rest the same way for all of them:

- duplicate external keys inside one file are row errors (the later row names the first);
- by default one bad row means nothing is written (``good_rows_only=False``); with
  ``good_rows_only=True`` the good rows are written and the bad ones reported; either way every
  bad row is in ``report.errors``;
- rows are written with ``kb.service.upsert`` keyed by external key: a changed row makes a new
  version, an unchanged row changes nothing;
- the whole import runs inside a savepoint of the caller's transaction, so a dry run, a rejected
  file or a failure leaves the database as it was. The caller commits (the CLI, the API request).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ingest.report import ImportReport, RowError
from kb import service as kb_service
from kb.errors import KBError
from kb.models import Entry, Source
from kb.schemas import EntryCreate


@dataclass
class Candidate:
    """One row of a file: what it would import, or why it cannot."""

    row: int
    entry: EntryCreate | None
    errors: list[RowError] = field(default_factory=list)
    key_field: str = "external_key"


class Adapter(Protocol):
    """A source format. ``prepare`` makes the source (and regions) it needs; ``candidates`` reads the file."""

    source_type: str

    def prepare(self, *, session: Session) -> None: ...

    def candidates(self, *, session: Session) -> Iterable[Candidate]: ...


def run_import(
    *,
    session: Session,
    adapter: Adapter,
    dry_run: bool = False,
    good_rows_only: bool = False,
    actor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import what ``adapter`` reads. Flushes, never commits; raises ``BadFile`` for unreadable files."""
    started = time.perf_counter()
    report = ImportReport(dry_run=dry_run)
    savepoint = session.begin_nested()
    try:
        adapter.prepare(session=session)
        cands = list(adapter.candidates(session=session))
        _flag_duplicate_keys(cands)
        bad = [c for c in cands if c.errors]
        report.rejected = len({c.row for c in bad})  # rows, not entries: a gd item has several
        report.errors = [e for c in bad for e in c.errors]
        good = [c for c in cands if not c.errors]
        if bad and not good_rows_only:
            savepoint.rollback()
            report.seconds = time.perf_counter() - started
            return report
        while True:
            failed = _write(session, good, report, actor, progress)
            if failed is None:
                break
            # a row the KB refused after validation (rare): all-or-nothing stops here; good-rows-only
            # starts the import again without it, so what is written never depends on row order
            savepoint.rollback()
            report.rejected += 1
            report.errors.append(failed[1])
            report.created = report.updated = report.unchanged = 0
            if not good_rows_only:
                report.seconds = time.perf_counter() - started
                return report
            good = [c for c in good if c is not failed[0]]
            savepoint = session.begin_nested()
            adapter.prepare(session=session)
        if dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()
            report.written = True
            # fresh planner statistics: without them SQLite answers federated listings (a correlated
            # subquery per entry) through the status index instead of matter_key, minutes instead of a second
            session.execute(text("ANALYZE entries"))
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    report.seconds = time.perf_counter() - started
    return report


def _flag_duplicate_keys(cands: list[Candidate]) -> None:
    first: dict[str, int] = {}
    for c in cands:
        key = c.entry.external_key if c.entry is not None else None
        if not key:
            continue
        if key in first:
            c.errors.append(
                RowError(
                    row=c.row,
                    field=c.key_field,
                    problem=f"duplicate key {key!r}: row {first[key]} already has it",
                    fix="give every row its own key, or delete the repeated row",
                )
            )
        else:
            first[key] = c.row


def _write(
    session: Session,
    good: list[Candidate],
    report: ImportReport,
    actor: str | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[Candidate, RowError] | None:
    """Upsert the good rows; returns the first row the KB refused (and why), or None."""
    statuses = _existing_statuses(session, good)
    for i, c in enumerate(good, 1):
        assert c.entry is not None
        entry_in = c.entry
        known = statuses.get((entry_in.source_code, entry_in.external_key))
        if known is not None:
            # a re-import updates content; the lifecycle (review, publish, retire) stays with people
            entry_in = entry_in.model_copy(update={"status": known})
        try:
            _, result = kb_service.upsert(session=session, entry_in=entry_in, actor=actor)
        except KBError as exc:
            return c, RowError(
                row=c.row, field=None, problem=str(exc), fix="correct the row as the message says"
            )
        setattr(report, result, getattr(report, result) + 1)
        if progress is not None:
            progress(i, len(good))
    return None


def _existing_statuses(session: Session, good: list[Candidate]) -> dict[tuple[str, str | None], str]:
    codes = {c.entry.source_code for c in good if c.entry is not None}
    if not codes:
        return {}
    rows = session.execute(
        select(Source.code, Entry.external_key, Entry.status).join(Source).where(Source.code.in_(codes))
    )
    return {(code, key): status for code, key, status in rows}
