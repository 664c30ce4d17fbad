"""Ingest routes: a department uploads a QA sheet (一问一答 xlsx/csv/jsonl); curators download the template."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from api import errors
from api.auth import Principal, region_scope
from api.deps import SessionDep, require_role
from ingest.errors import IngestError
from ingest.qa_sheet import QASheetAdapter, template_xlsx
from ingest.runner import run_import
from ingest.tabular import FORMATS
from kb import service as kb_service
from kb.errors import PermissionDenied

router = APIRouter(prefix="/ingest", tags=["ingest"])
errors.register(IngestError, 422)

Uploader = Annotated[Principal, Depends(require_role("department_editor", "admin"))]
Curator = Annotated[Principal, Depends(require_role("department_editor", "reviewer", "admin"))]
MAX_BYTES = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/qa_sheet", responses={422: {"description": "rows rejected, nothing written"}})
async def upload_qa_sheet(
    file: UploadFile,
    session: SessionDep,
    principal: Uploader,
    source: Annotated[str, Query(description="code of the source the sheet belongs to")],
    dry_run: bool = False,
    good_rows_only: Annotated[bool, Query(description="import the good rows even if some are bad")] = False,
    status: Annotated[
        Literal["published", "draft"], Query(description="admins only; editors get drafts")
    ] = "draft",
) -> JSONResponse:
    """Import a QA sheet in one transaction; the body is the report {created, updated, unchanged, rejected, errors}.

    A department editor imports into a source of their own department, in their region, as drafts
    that go live after review. 422 when rows were rejected and nothing was written.
    """
    src = kb_service.get_source_by_code(session=session, code=source)
    editor = principal.role == "department_editor"
    if editor and src.department != principal.department:
        raise PermissionDenied(
            f"source {source!r} belongs to {src.department or 'no department'}: import into your own"
        )
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise IngestError(
            f"{file.filename!r}: unsupported file type {suffix!r}: upload .xlsx, .csv or .jsonl"
        )
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return JSONResponse(
            status_code=413, content={"detail": "the file is over 20 MB: split it into several sheets"}
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        adapter = QASheetAdapter(
            path,
            source_code=src.code,
            status="draft" if editor else status,
            only_department=principal.department if editor else None,
            region_scope=region_scope(session, principal) if editor else None,
        )
        report = run_import(
            session=session,
            adapter=adapter,
            dry_run=dry_run,
            good_rows_only=good_rows_only,
            actor=principal.name,
        )
    code = 422 if report.rejected and not report.written and not dry_run else 200
    return JSONResponse(status_code=code, content=report.to_json())


@router.get("/template.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def qa_sheet_template(principal: Curator) -> Response:
    """The QA-sheet template: the columns ingest reads, an example row, and a sheet explaining each column."""
    return Response(
        content=template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename=qa_sheet_template.xlsx"},
    )
