"""GET /search: hybrid retrieval for agents (any region in scope) and citizens (qa entries of their region)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request

from api import errors
from api.auth import Principal, check_region
from api.deps import SessionDep, require_role
from kb.errors import PermissionDenied
from retrieval import (
    BadQuery,
    EmbedderError,
    SearchEngine,
    SearchFilters,
    build_engine,
    make_embedder,
    settle_heap,
)
from retrieval.live import RevisionFollower

router = APIRouter(tags=["search"])
errors.register(BadQuery, 422)
log = logging.getLogger(__name__)

SEARCHERS = ("citizen", "agent", "department_editor", "reviewer", "admin", "manager")
Searcher = Annotated[Principal, Depends(require_role(*SEARCHERS))]


def get_search_engine(request: Request) -> SearchEngine:
    engine = getattr(request.app.state, "search_engine", None)
    if engine is None:
        raise HTTPException(503, detail="the search index is not loaded yet: retry in a few seconds")
    return engine


@router.get("/search")
def search(
    session: SessionDep,
    principal: Searcher,
    engine: Annotated[SearchEngine, Depends(get_search_engine)],
    q: Annotated[str, Query(description="the question, up to 500 characters")],
    region: Annotated[
        str | None, Query(description="asker's GB/T 2260 region: federation rules apply")
    ] = None,
    top_k: Annotated[int, Query(ge=1, le=50)] = 10,
    explain: bool = False,
    mode: Annotated[str, Query(description="bm25 | dense | hybrid")] = "hybrid",
    kind: Annotated[str | None, Query(description="qa | case")] = None,
    tier: Annotated[str | None, Query(description="province | city | county | department | topic")] = None,
    department: str | None = None,
    topic: str | None = None,
    valid_on: date | None = None,
) -> dict[str, Any]:
    """Search the KB; a citizen always searches the qa entries of their own region."""
    kinds: tuple[str, ...] = (kind,) if kind else ()
    if principal.role == "citizen":
        if not principal.region_code:
            raise PermissionDenied("your citizen token has no region: ask for one issued with --region")
        if region not in (None, principal.region_code):
            raise PermissionDenied(
                f"citizens search their own region ({principal.region_code}), not {region}"
            )
        region, kinds = principal.region_code, ("qa",)
    elif region is None and principal.region_code is not None:
        # staff with a regional scope search as for a caller of their own region unless they name
        # another region in scope: another city's entries never appear by default
        region = principal.region_code
    elif region is not None:
        if region not in engine.regions:
            raise BadQuery(
                f"unknown region code {region!r}: use a GB/T 2260 code the KB knows (GET /kb/regions lists them)"
            )
        check_region(session, principal, region)
    if principal.role == "department_editor":
        if department not in (None, principal.department):
            raise PermissionDenied(f"you search {principal.department}'s entries, not {department}'s")
        department = principal.department
    if mode not in ("bm25", "dense", "hybrid"):
        raise BadQuery(f"mode {mode!r}: use bm25, dense or hybrid")
    filters = SearchFilters(
        kinds=kinds, tiers=(tier,) if tier else (), department=department, topic=topic, valid_on=valid_on
    )
    result = engine.search(q, top_k=top_k, region=region, mode=mode, filters=filters, explain=explain)  # type: ignore[arg-type]
    return {
        "hits": [h.to_json(explain=explain) for h in result.hits],
        "mode": result.mode,
        "degraded": result.degraded,
        # the query as searched when misheard words were repaired (设保 → 社保), else null
        "repaired_query": result.repaired,
    }


async def load_search_engine(app: FastAPI) -> None:
    """Load the saved index when its KB revision matches the database (else rebuild it), then follow the feed."""
    settings = app.state.settings

    def load() -> SearchEngine:
        try:
            embedder = make_embedder(settings.embedder)
        except EmbedderError as exc:
            log.warning("embedder unavailable, serving BM25 only: %s", exc)
            embedder = None
        data = Path(settings.data_dir)
        with app.state.sessionmaker() as session:
            return build_engine(
                session=session, embedder=embedder, cache_dir=data / "vectors", index_dir=data / "index"
            )

    engine = await asyncio.to_thread(load)
    settle_heap()  # a full garbage collection over the index would stall queries for 100s of ms
    follower = RevisionFollower(engine=engine, sessionmaker=app.state.sessionmaker).start()
    app.state.search_engine = engine
    app.state.closers.append(follower.stop)
