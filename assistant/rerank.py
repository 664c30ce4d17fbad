"""Re-ranking the answer path's BM25 candidates with the dense retriever's vote.

The answer path searches with BM25 (its calibration is fitted on BM25's features), but on questions
phrased the way callers speak BM25 puts the right entry first less often than the dense retriever
does. Here the BM25 top 10 are re-ordered by a linear score of three things per candidate: its BM25
rank (1/rank), its BM25 score relative to the top one, and its rank among the dense retriever's top
``DENSE_DEPTH`` for the same question (1/rank, 0 if absent). The weights are a logistic regression
on the in-KB questions of the dev sets and the probes (label: the candidate is an expected entry),
written to ``assistant/data/rerank.json`` by ``lianxin calibrate --rerank`` and read by
``calibration.search_features``, so that fitting and answering see the same order. Without an
embedder, or without the artefact, the BM25 order stands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ARTEFACT = Path(__file__).parent / "data" / "rerank.json"
DENSE_DEPTH = 20
CANDIDATES = 10
FEATURES = ("bm25_inv_rank", "bm25_ratio", "dense_inv_rank")


@dataclass(frozen=True)
class Reranker:
    weights: tuple[float, ...]
    version: str = "untrained"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(
                f"re-ranker artefact has {len(self.weights)} weights for {len(FEATURES)} features: refit it"
            )

    def order(self, hits: Sequence[Any], dense_keys: Sequence[int]) -> list[Any]:
        """``hits`` (BM25 order) with the first ``CANDIDATES`` re-ordered by score; ties keep BM25's order."""
        head, tail = list(hits[:CANDIDATES]), list(hits[CANDIDATES:])
        rows = candidate_features(head, dense_keys)
        scores = [sum(w * x for w, x in zip(self.weights, row, strict=True)) for row in rows]
        ranked = sorted(range(len(head)), key=lambda i: (-scores[i], i))
        return [head[i] for i in ranked] + tail

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": list(FEATURES),
            "weights": list(self.weights),
            "meta": self.meta,
        }


def candidate_features(hits: Sequence[Any], dense_ids: Sequence[int]) -> list[tuple[float, float, float]]:
    """Per BM25 candidate: 1/BM25 rank, BM25 score / the top's, 1/rank in the dense list (0 if absent)."""
    if not hits:
        return []
    top = max(hits[0].bm25 or 0.0, 1e-6)
    dense_rank: dict[int, int] = {}
    for i, entry_id in enumerate(dense_ids):
        dense_rank.setdefault(entry_id, i)
    return [
        (
            1.0 / (i + 1),
            max(h.bm25 or 0.0, 0.0) / top,
            1.0 / (dense_rank[h.entry_id] + 1) if h.entry_id in dense_rank else 0.0,
        )
        for i, h in enumerate(hits)
    ]


def dense_ids(engine: Any, query: str, region: str | None) -> list[int] | None:
    """Entry ids of the dense retriever's top ``DENSE_DEPTH``, or None when it cannot search."""
    if getattr(engine, "embedder", None) is None:
        return None
    result = engine.search(query, top_k=DENSE_DEPTH, region=region, mode="dense")
    if result.degraded or result.mode != "dense":
        return None
    return [h.entry_id for h in result.hits]


def load(path: Path = ARTEFACT) -> Reranker | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError(
            f"{path} was fitted on features {data.get('features')}, expected {list(FEATURES)}: refit it"
        )
    return Reranker(
        tuple(float(w) for w in data["weights"]), str(data["version"]), dict(data.get("meta", {}))
    )


def save(reranker: Reranker, path: Path = ARTEFACT) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reranker.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


_cached: dict[Path, Reranker | None] = {}


def default() -> Reranker | None:
    """The installed re-ranker (loaded once), or None; one that cannot be read is left out, loudly,
    and a calibration fitted with it is then not used either (``answer._fitted_for``)."""
    if ARTEFACT not in _cached:
        try:
            _cached[ARTEFACT] = load(ARTEFACT)
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            log.error("re-ranker %s cannot be used (%s): BM25's order stands", ARTEFACT, exc)
            _cached[ARTEFACT] = None
    return _cached[ARTEFACT]


def version() -> str | None:
    """The installed re-ranker's version (None: BM25's order), recorded with a calibration fitted on it."""
    reranker = default()
    return reranker.version if reranker is not None else None


def fit(
    groups: Iterable[tuple[list[tuple[float, float, float]], list[bool]]],
    *,
    c: float = 1.0,
    version: str = "",
) -> Reranker:
    """Logistic regression over candidates (features, is-expected) of many questions; only questions
    with an expected entry among their candidates teach the order."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    xs: list[tuple[float, float, float]] = []
    ys: list[bool] = []
    questions = 0
    for rows, labels in groups:
        if not any(labels):
            continue
        questions += 1
        xs += rows
        ys += labels
    if questions < 20:
        raise ValueError(f"only {questions} questions have an expected entry among their candidates: need 20")
    model = LogisticRegression(C=c, max_iter=3000).fit(np.array(xs), np.array(ys))
    weights = tuple(round(float(w), 4) for w in model.coef_[0])
    return Reranker(weights, version or "rerank", {"questions": questions, "candidates": len(xs), "C": c})


def examples(
    *, engine: Any, session: Any, dirs: Sequence[Path]
) -> list[tuple[list[tuple[float, float, float]], list[bool]]]:
    """(candidate features, is-expected) of every in-KB question in ``dirs`` (kb_queries.jsonl) that
    passes the safety screen, from BM25's own order and the dense retriever's list."""
    from assistant.calibration import _expected_keys
    from assistant.safety import screen

    out = []
    for folder in dirs:
        path = folder / "kb_queries.jsonl"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            s = screen(item["query"])
            if s.kind != "ok":
                continue
            region = item.get("region")
            hits = engine.search(s.text[:500], top_k=CANDIDATES, region=region, mode="bm25").hits
            ids = dense_ids(engine, s.text[:500], region)
            if ids is None:
                raise ValueError("re-ranking needs the dense retriever: configure LIANXIN_EMBEDDER__BACKEND")
            expected = _expected_keys(item)
            out.append((candidate_features(hits, ids), [h.external_key in expected for h in hits]))
    return out
