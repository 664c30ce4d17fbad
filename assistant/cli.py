"""`lianxin` commands of the assistant package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant import classify_cli

ENGINE_KEYS = ("fusion", "rrf_k", "embed_similar", "bm25_weight", "dense_weight")


def ask(
    question: Annotated[str, typer.Argument(help="the citizen's question")],
    region: Annotated[str | None, typer.Option(help="asker's GB/T 2260 region code")] = None,
    history: Annotated[
        list[str] | None, typer.Option("--history", help="earlier messages, oldest first")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Answer, clarify or escalate one question, as the citizen chat would."""
    from assistant.answer import decide
    from assistant.classify import classifier_from_settings
    from assistant.llm import LLMClient
    from kb.cli import cli_session, console, print_json
    from kb.config import get_settings
    from retrieval.cli import engine_from_settings

    settings = get_settings()
    engine = engine_from_settings()
    llm = LLMClient.from_settings(settings.llm)
    # the same classifier as the API's chat, so an escalation's draft carries category, department, urgency
    classifier = classifier_from_settings(settings, llm=llm)
    with cli_session() as session:
        d = decide(
            engine=engine,
            question=question,
            region=region,
            session=session,
            history=history or (),
            llm=llm,
            classifier=classifier,
        )
    if as_json:
        print_json(d.public())
        return
    console.print(f"[bold]{d.decision}[/bold] (confidence {d.confidence:.2f}; {d.reason})")
    console.print(d.reply)
    for c in d.citations:
        console.print(
            f"  [{c['n']}] {c['external_key']} · {c['source_name']} · {c['tier']} · {c['region_code'] or '-'}"
        )
    for i, c in enumerate(d.candidates, 1):
        console.print(f"  {i}. {c['question']}")
    if d.ticket_draft:
        console.print(f"ticket draft: {d.ticket_draft}")


def calibrate(
    mode: Annotated[str, typer.Option(help="retrieval mode to calibrate: hybrid | bm25")] = "hybrid",
    synthetic: Annotated[int, typer.Option(help="KB questions sampled for synthetic examples (0: none)")] = 0,
    augment: Annotated[int, typer.Option(help="spoken variants per dev question")] = 1,
    seed: Annotated[int, typer.Option()] = 12345,
    out: Annotated[Path | None, typer.Option(help="artefact to update (default: the shipped one)")] = None,
    extra_set: Annotated[
        list[Path] | None,
        typer.Option(
            "--extra-set",
            help="another folder of questions in the dev format (kb_queries.jsonl, out_of_kb.jsonl), fitted with the dev sets; repeatable",
        ),
    ] = None,
    rerank_fit: Annotated[
        bool,
        typer.Option(
            "--rerank",
            help="first refit the re-ranker of the BM25 candidates on the same sets; it is written beside the artefact "
            "(rerank.json) and the calibration records its version: the answer path reads assistant/data/, so install both",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the fit report as JSON")] = False,
) -> None:
    """Fit the answer confidence on the dev sets (../shared/eval) against the configured KB and index.

    Reproducible: the same KB, index, eval files and seed give the same artefact. For the BM25-only
    model no vectors are needed: LIANXIN_EMBEDDER__BACKEND=none lianxin calibrate --mode bm25
    """
    import datetime as dt

    from assistant import calibration
    from kb import service as kb_service
    from kb.cli import cli_session, console, fail, print_json
    from kb.config import get_settings
    from retrieval.cli import engine_from_settings

    if mode not in ("hybrid", "bm25"):
        fail(f"--mode {mode!r}: use hybrid or bm25")
    for folder in extra_set or []:
        if not (folder / "kb_queries.jsonl").exists() and not (folder / "out_of_kb.jsonl").exists():
            fail(f"--extra-set {folder}: no kb_queries.jsonl or out_of_kb.jsonl there")
    settings = get_settings()
    eval_dir = Path(settings.shared_eval)
    if not (eval_dir / "kb_queries.jsonl").exists():
        fail(f"no dev sets at {eval_dir}: set LIANXIN_SHARED_EVAL to the folder holding kb_queries.jsonl")
    engine = engine_from_settings()
    if mode == "hybrid" and engine.embedder is None:
        fail("hybrid calibration needs the embedder: configure LIANXIN_EMBEDDER__BACKEND")
    path = out or calibration.ARTEFACT
    embedder = engine.embedder or _embedder(settings)
    with cli_session() as session:
        if rerank_fit:
            from assistant import rerank

            if engine.embedder is None:
                fail("--rerank needs the dense retriever: configure LIANXIN_EMBEDDER__BACKEND")
            try:
                reranker = rerank.fit(
                    rerank.examples(engine=engine, session=session, dirs=[eval_dir, *(extra_set or [])]),
                    version=f"rerank-{dt.date.today().isoformat()}",
                )
            except ValueError as exc:
                fail(str(exc))
            rerank.save(reranker, path.parent / "rerank.json")
            rerank._cached[rerank.ARTEFACT] = reranker  # the calibration below is fitted on this order
        from assistant import rerank as rerank_mod

        rerank_version = rerank_mod.version()  # the order the models below are fitted on
        try:
            models, report = calibration.fit(
                engine=engine,
                session=session,
                eval_dir=eval_dir,
                mode=mode,
                embedder=embedder,
                synthetic=synthetic,
                augment=augment,
                seed=seed,
                extra_dirs=extra_set or [],
            )
        except ValueError as exc:
            fail(str(exc))
        kb_meta = {**kb_service.stats(session=session), "revision": kb_service.revision(session=session)}
    all_cals = calibration.load_all(path)
    for key, cal in models.items():
        cal.version = f"{key}-{dt.date.today().isoformat()}-seed{seed}"
        cal.meta["kb"] = kb_meta
        cal.meta["rerank"] = rerank_version
        if mode == "hybrid":
            # dense scores depend on these: answer.decide ignores the model on an engine that differs
            cal.meta["engine"] = {k: getattr(engine.p, k) for k in ENGINE_KEYS}
        all_cals[key] = cal
    calibration.save_all(all_cals, path)
    if as_json:
        print_json(report)
    else:
        console.print_json(data=report)


def _embedder(settings):  # type: ignore[no-untyped-def]
    """The verification embedder when the index itself is BM25-only (may be None)."""
    from kb.config import EmbedderSettings
    from retrieval import make_embedder
    from retrieval.errors import EmbedderError

    try:
        return make_embedder(settings.embedder if settings.embedder.backend != "none" else EmbedderSettings())
    except EmbedderError:
        return None


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.command("ask")(ask)
    app.command("calibrate")(calibrate)
    classify_cli.register(app)
