"""The bundled Gansu demo knowledge base (written by the project, not copied from any source).

Files in kb/data/demo/: ``sources.json`` (sources and topics) and ``entries.jsonl`` (one
EntryCreate per line, with ``source_code`` and a stable ``external_key``).
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

from sqlalchemy.orm import Session

from kb import service as kb_service
from kb.schemas import EntryCreate


def _demo_file(name: str) -> str:
    return resources.files("kb").joinpath(f"data/demo/{name}").read_text("utf-8")


def load_demo_kb(*, session: Session) -> dict[str, int]:
    """Load regions, sources, topics and entries of the demo KB; re-running changes nothing."""
    kb_service.load_bundled_regions(session=session)
    meta = json.loads(_demo_file("sources.json"))
    for t in meta.get("topics", []):
        kb_service.ensure_topic(session=session, **t)
    for s in meta["sources"]:
        kb_service.ensure_source(session=session, **s)
    counts: Counter[str] = Counter()
    for line in _demo_file("entries.jsonl").splitlines():
        if line.strip():
            _, result = kb_service.upsert(
                session=session, entry_in=EntryCreate(**json.loads(line)), actor="demo"
            )
            counts[result] += 1
    return dict(counts)
