"""Keep a search engine current by following the KB revision feed (kb.service.changes_since).

Every API process (uvicorn worker, or another host on the same PostgreSQL) runs one follower: it
polls ``entry_changes`` every ``interval_s`` and re-indexes the entries that changed, so an edit is
searchable within about a second everywhere, without a rebuild and without any message bus.

Sequence numbers can become visible out of order (two transactions commit in the opposite order
of their inserts), so the follower does not simply remember the highest ``seq``: it re-reads from
the highest *contiguous* seq it has seen, and only skips a gap after ``gap_timeout_s`` (a rolled-back
transaction leaves a permanent gap).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kb import service as kb_service
from retrieval.engine import SearchEngine, load_docs

log = logging.getLogger(__name__)


class RevisionFollower:
    """Apply KB changes to ``engine``; ``poll_once`` for tests and jobs, ``start``/``stop`` for a thread."""

    def __init__(
        self,
        *,
        engine: SearchEngine,
        sessionmaker: Callable[[], Session],
        interval_s: float = 0.2,
        gap_timeout_s: float = 5.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.interval_s = interval_s
        self.gap_timeout_s = gap_timeout_s
        self.contiguous = engine.revision  # every seq <= this has been applied
        self._seen: set[int] = set()
        self._gap_since: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def poll_once(self) -> int:
        """Apply the changes committed since the last poll; returns how many entries were re-indexed."""
        with self.sessionmaker() as session:
            changes = [
                c
                for c in kb_service.changes_since(session=session, seq=self.contiguous)
                if c.seq not in self._seen
            ]
            if not changes:
                return 0
            ids = list(dict.fromkeys(c.entry_id for c in changes))
            docs = load_docs(session=session, entry_ids=ids)
        found = {d.entry_id for d in docs}
        gone = [i for i in ids if i not in found]
        if gone:
            self.engine.remove(gone)
        self.engine.upsert(docs)
        self._seen.update(c.seq for c in changes)
        self._advance()
        self.engine.revision = max(self.engine.revision, max(c.seq for c in changes))
        return len(docs)

    def _advance(self) -> None:
        while self.contiguous + 1 in self._seen:
            self.contiguous += 1
            self._seen.discard(self.contiguous)
        if self._seen:
            now = time.monotonic()
            if self._gap_since is None:
                self._gap_since = now
            elif now - self._gap_since > self.gap_timeout_s:
                # the missing seq belonged to a rolled-back transaction: it will never appear
                self.contiguous = min(self._seen) - 1
                self._gap_since = None
                self._advance()
        else:
            self._gap_since = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll_once()
            except SQLAlchemyError as exc:  # a DB hiccup must not kill the follower: retry next tick
                self.errors += 1
                log.warning("KB revision follower: %s", exc)

    def start(self) -> RevisionFollower:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kb-revision-follower", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
