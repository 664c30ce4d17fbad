"""`lianxin search`, `lianxin index ...` and `lianxin bench ...` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

index_app = typer.Typer(help="The search index: rebuild it, show what is saved.", no_args_is_help=True)
bench_app = typer.Typer(help="Scale corpus and search benchmark.", no_args_is_help=True)


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from kb.cli import console

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def engine_from_settings(*, rebuild: bool = False, progress: Any = None, **params: Any):  # type: ignore[no-untyped-def]
    """The engine for the configured database: the saved index if current, else a rebuilt and saved one."""
    import shutil

    from kb.cli import cli_session
    from kb.config import get_settings
    from retrieval.engine import build_engine, make_embedder

    settings = get_settings()
    data = Path(settings.data_dir)
    if rebuild and (data / "index").exists():
        shutil.rmtree(data / "index")
    embedder = make_embedder(settings.embedder)
    with cli_session() as session:
        return build_engine(
            session=session,
            embedder=embedder,
            cache_dir=data / "vectors",
            index_dir=data / "index",
            progress=progress,
            **params,
        )


def search(
    query: Annotated[str, typer.Argument(help="the question")],
    region: Annotated[
        str | None, typer.Option(help="asker's GB/T 2260 region code (federation rules apply)")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="how many hits")] = 10,
    mode: Annotated[str, typer.Option(help="bm25 | dense | hybrid")] = "hybrid",
    explain: Annotated[bool, typer.Option("--explain", help="say why each hit matched")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Search the knowledge base as an agent would."""
    from rich.console import Console
    from rich.table import Table

    from api.routes.search import hit_json
    from kb.cli import console, fail, print_json
    from retrieval.errors import RetrievalError

    engine = engine_from_settings()
    try:
        result = engine.search(query, top_k=top_k, region=region, mode=mode, explain=explain)  # type: ignore[arg-type]
    except RetrievalError as exc:
        fail(str(exc))
        return
    if result.degraded:
        console.print(f"[yellow]degraded:[/yellow] {result.degraded}")
    if as_json:
        print_json({"hits": [hit_json(h, explain=explain) for h in result.hits]})
        return
    table = Table("#", "score", "entry", "tier", "region", "question", title=f"{query} ({result.mode})")
    for i, h in enumerate(result.hits, 1):
        q = (
            h.question
            if not explain
            else f"{h.question}\n  ↳ {h.matched_question} {h.matched_terms} bm25={h.bm25} cos={h.cosine}"
        )
        table.add_row(
            str(i), f"{h.score:.4f}", h.external_key or str(h.entry_id), h.tier, h.region_code or "", q
        )
    Console().print(table)


@index_app.command("rebuild")
def rebuild() -> None:
    """Rebuild the search index from the database (vectors of unchanged texts come from the cache)."""
    from kb.cli import console

    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(
                    {"tokenize": "tokenize + BM25", "embed": "embed new texts"}.get(stage, stage), total=total
                )
            bar.update(tasks[stage], completed=done, total=total)

        engine = engine_from_settings(rebuild=True, progress=report)
    console.print(json.dumps(engine.describe(), ensure_ascii=False))


@index_app.command("info")
def info() -> None:
    """Show the saved index's params JSON."""
    from kb.cli import fail, print_json
    from kb.config import get_settings

    p = Path(get_settings().data_dir) / "index" / "params.index.json"
    if not p.exists():
        fail(f"no saved index at {p.parent}: run `lianxin index rebuild`")
    print_json(json.loads(p.read_text()))


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.command("search")(search)
    app.add_typer(index_app, name="index")
    app.add_typer(bench_app, name="bench")
