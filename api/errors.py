"""Map domain errors to HTTP once. Bodies say what went wrong and what to do."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kb.errors import (
    EntryNotFound,
    KBError,
    PermissionDenied,
    RegionNotFound,
    SourceNotFound,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)

STATUS: dict[type[Exception], int] = {
    EntryNotFound: 404,
    SourceNotFound: 422,
    RegionNotFound: 422,
    StaleVersion: 409,
    TransitionNotAllowed: 409,
    ValidationFailed: 422,
    PermissionDenied: 403,
}


def register(exc_type: type[Exception], status: int) -> None:
    """Other packages' errors join the map here (tickets, retrieval, assistant)."""
    STATUS[exc_type] = status


def status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def install(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        body: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
        extra = getattr(exc, "extra", None)
        if isinstance(extra, dict):
            body.update(extra)
        return JSONResponse(status_code=status_for(exc), content=body)

    app.add_exception_handler(KBError, handle)
    for exc_type in list(STATUS):
        app.add_exception_handler(exc_type, handle)
