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
        out: dict[str, object] = {"hits": [h.to_json(explain=explain) for h in result.hits]}
        if explain:  # the plain contract stays {"hits": [...]}: scripts check its keys
            out["repaired_query"] = result.repaired
        print_json(out)
        return
    if result.repaired:
        console.print(
            f"[yellow]searched as:[/yellow] {result.repaired} ({', '.join(f'{a}→{b}' for a, b in result.repairs)})"
        )
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


@bench_app.command("make-corpus")
def make_corpus_cmd(
    size: Annotated[int, typer.Option(help="number of entries")] = 400_000,
    seed: Annotated[int, typer.Option(help="the same seed gives the same corpus")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="JSONL file (default var/bench/corpus-SIZE-SEED.jsonl)")
    ] = None,
) -> None:
    """Build a realistic scale KB from the real sources: Gansu city/county variants, paraphrases."""
    from kb.cli import console, fail, print_json
    from kb.config import get_settings
    from retrieval.corpus import corpus_digest, make_corpus, write_jsonl

    settings = get_settings()
    try:
        docs = make_corpus(shared_data=Path(settings.shared_data), size=size, seed=seed)
    except (ValueError, FileNotFoundError) as exc:
        fail(f"{exc} (shared data read from {settings.shared_data}: set LIANXIN_SHARED_DATA)")
        return
    path = out or Path(settings.data_dir) / "bench" / f"corpus-{size}-{seed}.jsonl"
    write_jsonl(docs, path)
    console.print(f"{len(docs)} entries written to {path}")
    print_json(
        {
            "path": str(path),
            "entries": len(docs),
            "seed": seed,
            "digest": corpus_digest(docs),
            "regions": len({d.region_code for d in docs}),
            "unique_questions": len({d.question for d in docs}),
        }
    )


@bench_app.command("search")
def bench_search(
    sizes: Annotated[str, typer.Option(help="comma-separated corpus sizes")] = "50000,400000",
    seed: Annotated[int, typer.Option()] = 1,
    http: Annotated[bool, typer.Option(help="also load the HTTP API with 32 concurrent clients")] = True,
    rank_sample: Annotated[int, typer.Option(help="queries to time rank-bm25 on (0: skip)")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Benchmark build time, memory and latency per method at each size (see README for results)."""
    from kb.cli import console, fail, print_json
    from kb.config import get_settings
    from retrieval import bench
    from retrieval.engine import make_embedder

    settings = get_settings()
    try:
        size_list = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError:
        fail(f"--sizes {sizes!r}: give comma-separated integers, e.g. 50000,400000")
        return
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = bench.run(
            shared_data=Path(settings.shared_data),
            shared_eval=Path(settings.shared_eval),
            sizes=size_list,
            seed=seed,
            embedder=make_embedder(settings.embedder),
            cache_dir=Path(settings.data_dir) / "vectors",
            rank_sample=rank_sample,
            http=http,
            progress=report,
            log=lambda m: console.print(m),
        )
    if as_json:
        print_json(result)
    else:
        console.print_json(json.dumps(result))


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.command("search")(search)
    app.add_typer(index_app, name="index")
    app.add_typer(bench_app, name="bench")
