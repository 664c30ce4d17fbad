"""Fusion of ranked lists: reciprocal rank fusion and weighted normalised scores.

Both are pure functions over ``{doc: score}`` maps in rank order (best first), so they can be
tested and swapped without an index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(
    rankings: Sequence[Sequence[int]], *, k: int = 60, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Reciprocal rank fusion: score(d) = Σ_i w_i / (k + rank_i(d)), ranks starting at 1.

    Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual Rank
    Learning Methods", SIGIR 2009; k = 60 is the paper's constant. ``weights`` (default all 1)
    let one list count more. A document missing from a list contributes nothing for it.

    >>> rrf([[1, 2], [2, 3]], k=60)[2] == 1 / 62 + 1 / 61
    True
    """
    if k < 0:
        raise ValueError(f"RRF constant k must be >= 0, got {k}")
    weights = weights or [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings: give one weight per list")
    out: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, doc in enumerate(ranking, start=1):
            out[doc] = out.get(doc, 0.0) + w / (k + rank)
    return out


def min_max(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale scores to [0, 1] (all equal → 1)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return dict.fromkeys(scores, 1.0)
    return {d: (s - lo) / (hi - lo) for d, s in scores.items()}


def weighted(
    score_maps: Sequence[Mapping[int, float]],
    *,
    weights: Sequence[float],
    normalise: Sequence[bool] | None = None,
) -> dict[int, float]:
    """Σ_i w_i · norm_i(score_i(d)); a document absent from a list scores 0 there.

    BM25 scores are unbounded, so they are min-max normalised per query; cosines are already on a
    fixed scale and may be used raw (``normalise=[True, False]``).
    """
    if len(weights) != len(score_maps):
        raise ValueError(
            f"{len(weights)} weights for {len(score_maps)} score lists: give one weight per list"
        )
    normalise = normalise or [True] * len(score_maps)
    out: dict[int, float] = {}
    for m, w, n in zip(score_maps, weights, normalise, strict=True):
        for d, s in (min_max(m) if n else m).items():
            out[d] = out.get(d, 0.0) + w * s
    return out
