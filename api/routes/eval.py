"""Evaluator routes: upload a set and run it against the live KB, list runs, compare two, read reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from api import errors
from api.auth import Principal
from api.deps import SessionDep, require_role
from eval import service as eval_service
from eval.errors import ComponentMissing, DatasetError, KBNotReady, RunNotFound

router = APIRouter(prefix="/eval", tags=["eval"])
Evaluator = Annotated[Principal, Depends(require_role("evaluator", "reviewer", "admin"))]

errors.register(DatasetError, 422)
errors.register(KBNotReady, 409)
errors.register(ComponentMissing, 503)
errors.register(RunNotFound, 404)

MAX_UPLOAD = 20 * 1024 * 1024


def _run_view(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "set_name": run.set_name,
        "suite": run.suite,
        "status": run.status,
        "created_by": run.created_by,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
        "error": run.error,
        "report": f"/eval/reports/{run.id}",
    }


def _execute(app_state: Any, run_id: int, eval_set: Any, suite: str) -> None:
    """Run the evaluation in its own transaction; a failure is stored on the run, not lost."""
    from eval import flows
    from eval.errors import EvalError
    from eval.systems import Options, default_embedders
    from kb.db import transaction
    from kb.errors import KBError

    settings = app_state.settings
    try:
        with transaction(app_state.sessionmaker) as session:
            # the warmed service components when the app has them: evaluate what is running
            options = Options(
                engine=getattr(app_state, "search_engine", None),
                llm=getattr(app_state, "llm", None),
                classifier=getattr(app_state, "classifier", None),
                embedders=default_embedders(settings, compare=False),
                cache_dir=settings.data_dir / "vectors",
                model_dir=settings.data_dir / "models",
                shared_data=settings.shared_data,
            )
            result = flows.evaluate(session=session, eval_set=eval_set, suite=suite, options=options)
            eval_service.finish(session=session, run_id=run_id, result=result)
    except (EvalError, KBError, SQLAlchemyError, ValueError, OSError, RuntimeError) as exc:
        with transaction(app_state.sessionmaker) as session:
            eval_service.fail(session=session, run_id=run_id, error=f"{type(exc).__name__}: {exc}")


@router.post("/runs", status_code=202)
async def start_run(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    principal: Evaluator,
    files: Annotated[
        list[UploadFile],
        File(description="kb_queries/out_of_kb/tickets/gov_messages_gold as .jsonl, .csv or .xlsx"),
    ],
    suite: Annotated[str, Form(description="retrieval | answer | classification | routing | all")] = "all",
    name: Annotated[str, Form(max_length=128)] = "upload",
) -> dict[str, Any]:
    """Upload a set and evaluate it against the live KB; poll GET /eval/runs/{id} until done."""
    from eval.datasets import from_files
    from eval.runner import expand

    try:
        expand(suite)
    except ValueError as exc:
        raise DatasetError(str(exc)) from exc
    blobs = []
    for f in files:
        data = await f.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise DatasetError(f"{f.filename} is over {MAX_UPLOAD // 2**20} MB: split the set")
        blobs.append((f.filename or "", data))
    eval_set = from_files(blobs, name=name)
    run = eval_service.start(session=session, set_name=name, suite=suite, actor=principal.name)
    session.commit()  # the background run reads it from its own connection
    background.add_task(_execute, request.app.state, run.id, eval_set, suite)
    return {**_run_view(run), "counts": eval_set.counts, "warnings": eval_set.warnings}


@router.get("/runs")
def list_runs(
    session: SessionDep,
    principal: Evaluator,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    runs, total = eval_service.get_all(session=session, offset=offset, limit=limit)
    return {"items": [_run_view(r) for r in runs], "total": total, "offset": offset, "limit": limit}


@router.get("/runs/{run_id}")
def read_run(run_id: int, session: SessionDep, principal: Evaluator) -> dict[str, Any]:
    return _run_view(eval_service.get(session=session, run_id=run_id))


@router.get("/runs/{run_id}/items")
def run_items(
    run_id: int,
    session: SessionDep,
    principal: Evaluator,
    suite: str | None = None,
    config: str | None = None,
    wrong_only: bool = False,
) -> list[dict[str, Any]]:
    """Per-question results: each wrong answer next to what was expected."""
    return eval_service.items(
        session=session, run_id=run_id, suite=suite, config=config, wrong_only=wrong_only
    )


@router.get("/compare")
def compare_runs(
    session: SessionDep,
    principal: Evaluator,
    base: Annotated[int, Query(description="the earlier run")],
    other: Annotated[int, Query(description="the run to compare with it")],
) -> dict[str, Any]:
    """What got better or worse from ``base`` to ``other``, per question, and the metric deltas."""
    return eval_service.compare(session=session, base_id=base, other_id=other)


@router.get("/reports/{run_id}.md", response_class=PlainTextResponse)
def report_markdown(run_id: int, session: SessionDep, principal: Evaluator) -> PlainTextResponse:
    run = eval_service.get(session=session, run_id=run_id)
    return PlainTextResponse(run.report_md, media_type="text/markdown; charset=utf-8")


@router.get("/reports/{run_id}", response_class=HTMLResponse)
def report_html(run_id: int, session: SessionDep, principal: Evaluator) -> HTMLResponse:
    run = eval_service.get(session=session, run_id=run_id)
    if run.status != "done":
        raise RunNotFound(f"run {run_id} has no report yet (status {run.status}): wait for it to finish")
    return HTMLResponse(run.report_html)
