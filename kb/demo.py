"""The bundled Gansu demo knowledge base (written by the project, not copied from any source).

Files in kb/data/demo/: ``sources.json`` (a note, the topics and the sources) and ``entries.jsonl``
(one EntryCreate per line, with ``source_code`` and a stable ``external_key`` ``demo:<source>:<n>``).
The content is 演示数据，内容为示例: phone numbers, addresses and standards are plausible examples.

Editing: change a line in place and keep its external_key (a re-load then makes a new version);
append new entries with the next free number of their source.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from kb import service as kb_service
from kb.errors import ValidationFailed
from kb.schemas import EntryCreate

ENTRIES_FILE = "entries.jsonl"
SOURCES_FILE = "sources.json"


def _demo_file(name: str) -> str:
    return resources.files("kb").joinpath(f"data/demo/{name}").read_text("utf-8")


def demo_meta() -> dict[str, Any]:
    """The parsed sources.json: ``note``, ``topics`` and ``sources``."""
    return json.loads(_demo_file(SOURCES_FILE))


def demo_entries() -> list[EntryCreate]:
    """Every entry of entries.jsonl, validated; a bad line raises ValidationFailed naming the line."""
    return parse_entries(_demo_file(ENTRIES_FILE), name=f"kb/data/demo/{ENTRIES_FILE}")


def parse_entries(text: str, *, name: str) -> list[EntryCreate]:
    """Parse JSON lines of EntryCreate; the first bad line raises ValidationFailed with its number and field."""
    out: list[EntryCreate] = []
    seen: dict[tuple[str, str | None], int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name} line {n}"
        try:
            entry = EntryCreate(**json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"{where}: not valid JSON ({exc.msg}): write one JSON object per line"
            ) from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise ValidationFailed(f"{where}: {problems}: correct the field and load again") from exc
        key = (entry.source_code, entry.external_key)
        if entry.external_key and key in seen:
            raise ValidationFailed(
                f"{where}: external_key {entry.external_key!r} already used on line {seen[key]}: "
                "give it the next free number"
            )
        seen[key] = n
        out.append(entry)
    return out


def load_demo_kb(*, session: Session) -> dict[str, int]:
    """Load regions, sources, topics and entries of the demo KB; re-running changes nothing.

    Returns counts by outcome, e.g. ``{"created": 191}`` the first time and ``{"unchanged": 191}`` after.
    """
    entries = demo_entries()  # validate the whole file before writing anything
    kb_service.load_bundled_regions(session=session)
    meta = demo_meta()
    for t in meta.get("topics", []):
        kb_service.ensure_topic(session=session, **t)
    for s in meta["sources"]:
        kb_service.ensure_source(session=session, **s)
    counts: Counter[str] = Counter()
    for entry_in in entries:
        _, result = kb_service.upsert(session=session, entry_in=entry_in, actor="demo")
        counts[result] += 1
    return dict(counts)
