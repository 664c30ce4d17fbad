"""KB routes: agents read (federated for an asker's region), departments curate, reviewers publish."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import (
    Principal,
    can_edit_entry,
    can_read_entry,
    can_review_entry,
    check_region,
    entry_reader,
    region_scope,
)
from api.deps import SessionDep, require_role
from kb import federation
from kb import service as kb_service
from kb.errors import PermissionDenied
from kb.models import Entry
from kb.schemas import EntryCreate, EntryPage, EntryRead, EntryUpdate, EntryVersionRead, RegionRead

router = APIRouter(prefix="/kb", tags=["kb"])

READERS = ("agent", "department_editor", "reviewer", "admin", "manager")
Reader = Annotated[Principal, Depends(require_role(*READERS))]
Editor = Annotated[Principal, Depends(require_role("department_editor", "admin"))]
Reviewer = Annotated[Principal, Depends(require_role("reviewer", "admin"))]
Curator = Annotated[Principal, Depends(require_role("department_editor", "reviewer", "admin"))]


def _readable(session: SessionDep, principal: Principal, entry_id: int) -> Entry:
    entry = kb_service.require(session=session, entry_id=entry_id)
    if not can_read_entry(session, principal, entry.region_code, entry.department):
        raise PermissionDenied(f"entry {entry_id} is outside your scope: ask its owning department or region")
    return entry


@router.get("/entries", response_model=EntryPage)
def list_entries(
    session: SessionDep,
    principal: Reader,
    region: Annotated[str | None, Query(description="asker's region: federation rules apply")] = None,
    all_tiers: Annotated[
        bool, Query(description="show every tier's entry, labelled, instead of the winner")
    ] = False,
    status: str | None = None,
    department: str | None = None,
    source: str | None = None,
    tier: str | None = None,
    topic: str | None = None,
    kind: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EntryPage:
    """Entries the caller may see; with ``region``, what an asker there would be given."""
    filters: dict[str, Any] = {
        "status": status,
        "source_code": source,
        "tier": tier,
        "topic": topic,
        "kind": kind,
        "q": q,
    }
    if principal.role == "department_editor":
        filters["department"] = principal.department
    else:
        filters["department"] = department
    if region:
        check_region(session, principal, region)
        chain = kb_service.region_chain(session=session, code=region)
        if all_tiers:
            filters["region_codes"] = chain
        else:
            # what an asker there would be given today: published, in force, most specific tier
            filters["federated_for"] = chain
            filters["status"] = status or "published"
            filters["valid_on"] = date.today()
    elif principal.role != "department_editor":
        scope = region_scope(session, principal)
        if scope is not None:
            filters["region_codes"] = sorted(scope)
    items, total = kb_service.get_all(session=session, offset=offset, limit=limit, **filters)
    return EntryPage(items=[EntryRead.of(e) for e in items], total=total, offset=offset, limit=limit)


@router.get("/entries/{entry_id}", response_model=EntryRead)
def read_entry(entry_id: int, session: SessionDep, principal: Reader) -> EntryRead:
    return EntryRead.of(_readable(session, principal, entry_id))


@router.get("/entries/{entry_id}/versions", response_model=list[EntryVersionRead])
def entry_versions(entry_id: int, session: SessionDep, principal: Reader) -> list[EntryVersionRead]:
    entry = _readable(session, principal, entry_id)
    return [EntryVersionRead.model_validate(v) for v in entry.versions]


@router.post("/entries", response_model=EntryRead, status_code=201)
def create_entry(entry_in: EntryCreate, session: SessionDep, principal: Editor) -> EntryRead:
    """A department creates a draft in its own name; it goes live after review."""
    if principal.role == "department_editor":
        if entry_in.department not in (None, principal.department):
            raise PermissionDenied(f"you edit for {principal.department}, not {entry_in.department}")
        entry_in = entry_in.model_copy(update={"department": principal.department, "status": "draft"})
        check_region(session, principal, entry_in.region_code)
        source = kb_service.get_source_by_code(session=session, code=entry_in.source_code)
        if source.department not in (None, principal.department):
            raise PermissionDenied(
                f"source {source.code} belongs to {source.department}: file your entry under your own "
                "department's source or a regional source"
            )
        check_region(session, principal, source.region_code)
    entry = kb_service.create(session=session, entry_in=entry_in, actor=principal.name)
    return EntryRead.of(entry)


@router.patch("/entries/{entry_id}", response_model=EntryRead)
def update_entry(entry_id: int, entry_in: EntryUpdate, session: SessionDep, principal: Editor) -> EntryRead:
    entry = kb_service.require(session=session, entry_id=entry_id)
    if not can_edit_entry(session, principal, entry.region_code, entry.department):
        raise PermissionDenied(
            f"entry {entry_id} is not an entry of your department: you can edit only your department's entries"
        )
    if principal.role == "department_editor":
        if entry_in.department not in (None, principal.department):
            raise PermissionDenied("you cannot hand an entry to another department: ask a reviewer")
        check_region(session, principal, entry_in.region_code)  # nor move it out of your region
    return EntryRead.of(
        kb_service.update(session=session, entry_id=entry_id, entry_in=entry_in, actor=principal.name)
    )


def _move(session: SessionDep, principal: Principal, entry_id: int, status: str) -> EntryRead:
    entry = kb_service.require(session=session, entry_id=entry_id)
    if status == "in_review" or (status == "retired" and principal.role == "department_editor"):
        allowed = can_edit_entry(session, principal, entry.region_code, entry.department)
    else:
        allowed = can_review_entry(session, principal, entry.region_code)
    if not allowed:
        raise PermissionDenied(f"you may not move entry {entry_id} to {status}: it is outside your scope")
    return EntryRead.of(
        kb_service.set_status(session=session, entry_id=entry_id, status=status, actor=principal.name)
    )


@router.post("/entries/{entry_id}/submit", response_model=EntryRead)
def submit_entry(entry_id: int, session: SessionDep, principal: Editor) -> EntryRead:
    """Send a draft to review."""
    return _move(session, principal, entry_id, "in_review")


@router.post("/entries/{entry_id}/publish", response_model=EntryRead)
def publish_entry(entry_id: int, session: SessionDep, principal: Reviewer) -> EntryRead:
    return _move(session, principal, entry_id, "published")


@router.post("/entries/{entry_id}/reject", response_model=EntryRead)
def reject_entry(entry_id: int, session: SessionDep, principal: Reviewer) -> EntryRead:
    """Send an entry in review back to its department as a draft."""
    return _move(session, principal, entry_id, "draft")


@router.post("/entries/{entry_id}/retire", response_model=EntryRead)
def retire_entry(entry_id: int, session: SessionDep, principal: Curator) -> EntryRead:
    return _move(session, principal, entry_id, "retired")


@router.get("/regions", response_model=list[RegionRead])
def regions(session: SessionDep, principal: Reader) -> list[RegionRead]:
    return [RegionRead.model_validate(r) for r in kb_service.list_regions(session=session)]


@router.get("/topics")
def topics(session: SessionDep, principal: Reader) -> list[dict[str, str]]:
    return [
        {"code": t.code, "name": t.name, "description": t.description}
        for t in kb_service.list_topics(session=session)
    ]


@router.get("/conflicts")
def conflicts(session: SessionDep, principal: Curator) -> list[dict[str, Any]]:
    """Matters whose tiers disagree on phone, location or time limit, for review."""
    visible = entry_reader(session, principal)
    return [c.__dict__ for c in federation.conflicts(session=session, visible=visible)]
