from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import SessionDep
from kb import service as kb_service

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, object]:
    """Liveness and readiness: the database answers; the KB revision shows what is loaded."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "kb_revision": kb_service.revision(session=session)}
