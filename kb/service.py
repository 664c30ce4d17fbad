"""Service functions of the knowledge base. Keyword-only; they flush, the caller commits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from importlib import resources
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kb.errors import (
    EntryNotFound,
    RegionNotFound,
    SourceNotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from kb.errors import StaleVersion as StaleVersion
from kb.models import SOURCE_TIERS, Entry, EntryChange, EntryVersion, Region, Source, Topic
from kb.schemas import EntryCreate, EntryUpdate

# status lifecycle: who may move an entry where is decided by the API's roles; this is what is possible
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("in_review", "published", "retired"),
    "in_review": ("draft", "published", "retired"),
    "published": ("retired", "draft"),
    "retired": ("draft",),
}

CONTENT_FIELDS = (
    "question",
    "similar_questions",
    "answer",
    "kind",
    "region_code",
    "department",
    "owner",
    "category",
    "matter_key",
    "aspect",
    "effective_from",
    "expires_at",
    "policy_ref",
    "extra",
)


# ---------------------------------------------------------------- regions


def load_bundled_regions(*, session: Session) -> int:
    """Insert Gansu's province, 14 cities/prefectures and 86 counties (GB/T 2260); idempotent."""
    data = json.loads(resources.files("kb").joinpath("data/regions_gansu.json").read_text("utf-8"))
    return ensure_regions(session=session, rows=data["regions"])


def ensure_regions(*, session: Session, rows: Iterable[dict[str, Any]]) -> int:
    """Add regions that are missing (rows: code, name, level, parent); returns how many were added."""
    existing = set(session.scalars(select(Region.code)))
    added = 0
    for row in rows:
        if row["code"] in existing:
            continue
        session.add(
            Region(code=row["code"], name=row["name"], level=row["level"], parent_code=row.get("parent"))
        )
        existing.add(row["code"])
        added += 1
        session.flush()
    return added


def get_region(*, session: Session, code: str) -> Region | None:
    """The region with that GB/T 2260 code, or None."""
    return session.get(Region, code)


def require_region(*, session: Session, code: str) -> Region:
    """The region with that code, or RegionNotFound with a hint."""
    region = session.get(Region, code)
    if region is None:
        raise RegionNotFound(
            f"unknown region code {code!r}: use a GB/T 2260 code the KB knows (GET /kb/regions lists them)"
        )
    return region


def region_chain(*, session: Session, code: str) -> list[str]:
    """``code`` and its ancestors, most specific first: 620503 -> [620503, 620500, 620000]."""
    chain: list[str] = []
    region: Region | None = require_region(session=session, code=code)
    while region is not None and region.code not in chain:
        chain.append(region.code)
        region = session.get(Region, region.parent_code) if region.parent_code else None
    return chain


def region_subtree(*, session: Session, code: str) -> set[str]:
    """``code`` and every region below it."""
    require_region(session=session, code=code)
    children: dict[str | None, list[str]] = {}
    for c, p in session.execute(select(Region.code, Region.parent_code)):
        children.setdefault(p, []).append(c)
    out, stack = set(), [code]
    while stack:
        c = stack.pop()
        if c not in out:
            out.add(c)
            stack.extend(children.get(c, []))
    return out


def list_regions(*, session: Session) -> list[Region]:
    """Every region, by code."""
    return list(session.scalars(select(Region).order_by(Region.code)))


def list_topics(*, session: Session) -> list[Topic]:
    """Every special topic, by code."""
    return list(session.scalars(select(Topic).order_by(Topic.code)))


def find_region_by_name(*, session: Session, name: str) -> Region | None:
    """A region by its exact name or by a name that contains it (兰州 -> 兰州市)."""
    name = name.strip()
    region = session.scalars(select(Region).where(Region.name == name)).first()
    if region is None and name:
        region = session.scalars(
            select(Region).where(Region.name.like(f"{name}%")).order_by(func.length(Region.name))
        ).first()
    return region


# ---------------------------------------------------------------- sources and topics


def ensure_source(
    *,
    session: Session,
    code: str,
    name: str,
    tier: str,
    region_code: str | None = None,
    department: str | None = None,
) -> Source:
    """The source with that code, created if missing."""
    source = session.scalars(select(Source).where(Source.code == code)).first()
    if source is not None:
        return source
    if tier not in SOURCE_TIERS:
        raise ValidationFailed(f"source tier {tier!r} is not one of {', '.join(SOURCE_TIERS)}")
    if region_code is not None:
        require_region(session=session, code=region_code)
    source = Source(code=code, name=name, tier=tier, region_code=region_code, department=department)
    session.add(source)
    session.flush()
    return source


def get_source_by_code(*, session: Session, code: str) -> Source:
    """The source with that code, or SourceNotFound."""
    source = session.scalars(select(Source).where(Source.code == code)).first()
    if source is None:
        raise SourceNotFound(f"unknown source {code!r}: create it first (lianxin init, or an ingest)")
    return source


def ensure_topic(*, session: Session, code: str, name: str, description: str = "") -> Topic:
    """The topic with that code, created if missing."""
    topic = session.scalars(select(Topic).where(Topic.code == code)).first()
    if topic is None:
        topic = Topic(code=code, name=name, description=description)
        session.add(topic)
        session.flush()
    return topic


def _topics(session: Session, codes: Sequence[str]) -> list[Topic]:
    if not codes:
        return []
    found = {
        t.code: t
        for t in session.scalars(select(Topic).where(or_(Topic.code.in_(codes), Topic.name.in_(codes))))
    }
    by_name = {t.name: t for t in found.values()}
    out = []
    for c in codes:
        t = found.get(c) or by_name.get(c)
        if t is None:
            raise ValidationFailed(f"unknown topic {c!r}: use a topic code or name from GET /kb/topics")
        out.append(t)
    return out


# ---------------------------------------------------------------- entries


def snapshot(entry: Entry) -> dict[str, Any]:
    """The entry's content as plain JSON (what a version stores and what re-imports compare)."""
    snap: dict[str, Any] = {}
    for f in CONTENT_FIELDS:
        v = getattr(entry, f)
        snap[f] = v.isoformat() if isinstance(v, date) else v
    snap["topics"] = sorted(entry.topic_codes)
    return snap


def _record(session: Session, entry: Entry, action: str, actor: str | None, note: str = "") -> None:
    if action in ("create", "update"):
        session.add(
            EntryVersion(
                entry=entry, version=entry.version, snapshot=snapshot(entry), changed_by=actor, note=note
            )
        )
    session.flush()
    session.add(EntryChange(entry_id=entry.id, action=action))
    session.flush()


def get(*, session: Session, entry_id: int) -> Entry | None:
    """The entry with that id, or None."""
    return session.get(Entry, entry_id)


def require(*, session: Session, entry_id: int) -> Entry:
    """The entry with that id, or EntryNotFound."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise EntryNotFound(f"no entry with id {entry_id}: search for it with GET /kb/entries")
    return entry


def get_by_key(*, session: Session, source_code: str, external_key: str) -> Entry | None:
    """The entry that a source imported under ``external_key``, or None."""
    return session.scalars(
        select(Entry).join(Source).where(Source.code == source_code, Entry.external_key == external_key)
    ).first()


def get_by_external_key(*, session: Session, external_key: str) -> Entry | None:
    """The entry with that external key in any source (keys carry their source prefix)."""
    return session.scalars(select(Entry).where(Entry.external_key == external_key)).first()


def get_all(
    *,
    session: Session,
    region_codes: Sequence[str] | None = None,
    include_unscoped: bool = True,
    status: str | None = None,
    department: str | None = None,
    source_code: str | None = None,
    tier: str | None = None,
    topic: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    valid_on: date | None = None,
    federated_for: Sequence[str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Entry], int]:
    """A page of entries matching the filters, and the total count.

    ``federated_for`` is an asker's region chain (``region_chain``): only entries that apply there,
    and per matter only the most specific one (kb.federation's rules, evaluated in SQL).
    """
    stmt = select(Entry).join(Source)
    if federated_for is not None:
        from kb.federation import federated_condition

        stmt = stmt.where(federated_condition(federated_for, status=status, valid_on=valid_on))
    if region_codes is not None:
        cond = Entry.region_code.in_(list(region_codes))
        stmt = stmt.where(or_(cond, Entry.region_code.is_(None)) if include_unscoped else cond)
    if status:
        stmt = stmt.where(Entry.status == status)
    if department:
        stmt = stmt.where(Entry.department == department)
    if source_code:
        stmt = stmt.where(Source.code == source_code)
    if tier:
        stmt = stmt.where(Source.tier == tier)
    if kind:
        stmt = stmt.where(Entry.kind == kind)
    if topic:
        stmt = stmt.where(Entry.topics.any(or_(Topic.code == topic, Topic.name == topic)))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Entry.question.like(like), Entry.answer.like(like)))
    if valid_on:
        stmt = stmt.where(or_(Entry.effective_from.is_(None), Entry.effective_from <= valid_on))
        stmt = stmt.where(or_(Entry.expires_at.is_(None), Entry.expires_at >= valid_on))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.order_by(Entry.id).offset(offset).limit(limit)).unique())
    return items, total


def create(*, session: Session, entry_in: EntryCreate, actor: str | None = None) -> Entry:
    """A new entry at version 1 (its first EntryVersion recorded)."""
    source = get_source_by_code(session=session, code=entry_in.source_code)
    if entry_in.region_code is not None:
        require_region(session=session, code=entry_in.region_code)
    data = entry_in.model_dump(exclude={"source_code", "topics"})
    entry = Entry(**data, source=source, version=1)
    entry.topics = _topics(session, entry_in.topics)
    session.add(entry)
    session.flush()
    _record(session, entry, "create", actor, "created")
    return entry


def update(*, session: Session, entry_id: int, entry_in: EntryUpdate, actor: str | None = None) -> Entry:
    """Apply a partial edit made on ``entry_in.version``; a changed content makes a new version."""
    entry = require(session=session, entry_id=entry_id)
    if entry_in.version != entry.version:
        raise StaleVersion(
            f"entry {entry_id} is at version {entry.version}, the edit was made on version {entry_in.version}: "
            "reload the entry and apply the edit again"
        )
    changes = entry_in.model_dump(exclude_unset=True, exclude={"version", "note", "topics"})
    # every check before the first change: a refused edit must not leave a half-edited entry in
    # the session for a caller that catches the error and goes on (an import, a batch)
    if "region_code" in changes and changes["region_code"] is not None:
        require_region(session=session, code=changes["region_code"])
    for k in ("question", "answer"):
        if k in changes and (changes[k] is None or not str(changes[k]).strip()):
            raise ValidationFailed(f"{k} must not be empty: give the text, or leave the field out")
    starts = changes.get("effective_from", entry.effective_from)
    ends = changes.get("expires_at", entry.expires_at)
    if starts and ends and ends < starts:
        raise ValidationFailed("expires_at is before effective_from: correct the dates")
    topics = _topics(session, entry_in.topics) if entry_in.topics is not None else None
    before = snapshot(entry)
    for k, v in changes.items():
        setattr(entry, k, v)
    if topics is not None:
        entry.topics = topics
    if snapshot(entry) != before:
        entry.version += 1
        _record(session, entry, "update", actor, entry_in.note or "edited")
    return entry


def set_status(
    *, session: Session, entry_id: int, status: str, actor: str | None = None, version: int | None = None
) -> Entry:
    """Move an entry along its lifecycle (draft → in_review → published → retired)."""
    entry = require(session=session, entry_id=entry_id)
    if version is not None and version != entry.version:
        raise StaleVersion(f"entry {entry_id} is at version {entry.version}, not {version}: reload and retry")
    allowed = STATUS_TRANSITIONS.get(entry.status, ())
    if status not in allowed:
        raise TransitionNotAllowed(
            f"entry {entry_id} is {entry.status}; it can move to {', '.join(allowed) or 'nothing'}, not {status}"
        )
    entry.status = status
    _record(session, entry, "retire" if status == "retired" else "status", actor)
    return entry


def retire(*, session: Session, entry_id: int, actor: str | None = None) -> Entry:
    """Take an entry out of service (kept with its history)."""
    return set_status(session=session, entry_id=entry_id, status="retired", actor=actor)


UpsertResult = Literal["created", "updated", "unchanged"]


def upsert(
    *, session: Session, entry_in: EntryCreate, actor: str | None = None
) -> tuple[Entry, UpsertResult]:
    """Create or update the entry keyed by (source, external_key); unchanged content changes nothing."""
    if not entry_in.external_key:
        return create(session=session, entry_in=entry_in, actor=actor), "created"
    entry = get_by_key(session=session, source_code=entry_in.source_code, external_key=entry_in.external_key)
    if entry is None:
        return create(session=session, entry_in=entry_in, actor=actor), "created"
    topics = _topics(session, entry_in.topics)  # before any change: an unknown topic changes nothing
    if entry_in.region_code is not None:
        require_region(session=session, code=entry_in.region_code)
    before = snapshot(entry)
    for f in CONTENT_FIELDS:
        setattr(entry, f, getattr(entry_in, f))
    entry.topics = topics
    result: UpsertResult = "unchanged"
    if snapshot(entry) != before:
        entry.version += 1
        _record(session, entry, "update", actor, "re-import")
        result = "updated"
    # An existing entry's status belongs to its reviewers: a re-import never re-publishes an entry
    # that was pulled back, nor retires one; ``entry_in.status`` applies to new entries only.
    return entry, result


def versions(*, session: Session, entry_id: int) -> list[EntryVersion]:
    """The entry's full history, oldest first."""
    return list(require(session=session, entry_id=entry_id).versions)


def revision(*, session: Session) -> int:
    """The KB revision: the sequence number of the last committed change (0 for an empty KB)."""
    return session.scalar(select(func.max(EntryChange.seq))) or 0


def changes_since(*, session: Session, seq: int, limit: int = 10_000) -> list[EntryChange]:
    """Changes after revision ``seq``, oldest first (the feed search processes follow)."""
    return list(
        session.scalars(
            select(EntryChange).where(EntryChange.seq > seq).order_by(EntryChange.seq).limit(limit)
        )
    )


def stats(*, session: Session) -> dict[str, Any]:
    """Counts for `lianxin kb stats`: entries, by source, by status, by kind."""
    total = session.scalar(select(func.count(Entry.id))) or 0
    by_source = dict(
        session.execute(select(Source.code, func.count(Entry.id)).join(Entry).group_by(Source.code)).all()
    )
    by_status = dict(session.execute(select(Entry.status, func.count(Entry.id)).group_by(Entry.status)).all())
    by_kind = dict(session.execute(select(Entry.kind, func.count(Entry.id)).group_by(Entry.kind)).all())
    return {
        "entries": total,
        "by_source": by_source,
        "by_status": by_status,
        "by_kind": by_kind,
        "revision": revision(session=session),
    }
