from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from kb import service as kb_service

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, object]:
    """Liveness and readiness: the KB revision (a query) shows the database answers and what is loaded."""
    return {"status": "ok", "kb_revision": kb_service.revision(session=session)}
