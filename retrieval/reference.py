"""The straightforward search path, frozen as it was before the hot-path work (commit 078cb6a).

``SearchEngine.search`` must return exactly what this returns (same hits, scores, ranks and
explanations): tests/retrieval/test_hotpath.py checks it on a seeded corpus, and the benchmark times
both in the same run so the speed-up is a ratio measured under the same load. Nothing here is
cached or vectorised on purpose: dense 400k-slot arrays per query, a Python loop per dense slot,
most-specific-wins by scanning every member of a group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from retrieval import filters as flt
from retrieval.bm25 import BM25
from retrieval.filters import SearchFilters
from retrieval.fusion import rrf, weighted
from retrieval.ties import break_ties, chars

if TYPE_CHECKING:
    from retrieval.engine import Catalog, Hit, Mode, SearchEngine, SearchResult


def bm25_scores(bm: BM25, tokens: Sequence[str]) -> np.ndarray:
    out = np.zeros(bm.size, dtype=np.float32)
    counts = Counter(tokens)
    m = bm.matrix
    for t, c in counts.items():
        i = bm.vocab.get(t)
        if i is not None:
            s, e = m.indptr[i], m.indptr[i + 1]
            out[m.indices[s:e]] += c * m.data[s:e]
    start = bm.n_docs
    for m in bm._extra:
        voc = m.extra_vocab  # type: ignore[attr-defined]
        for t, c in counts.items():
            i = voc.get(t)
            if i is not None:
                row = m.getrow(i)
                out[start + row.indices] += c * row.data
        start += m.shape[1]
    out[~bm.alive] = 0.0
    return out


def top_positive(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """As before, with the tie rule at the k-th place made explicit (lower index wins)."""
    if k <= 0 or scores.size == 0:
        return []
    nz = np.flatnonzero(scores > 0)
    if nz.size == 0:
        return []
    if nz.size > k:
        vals = scores[nz]
        kth = -np.partition(-vals, k - 1)[k - 1]
        above = nz[vals > kth]
        nz = np.concatenate([above, nz[vals == kth][: k - above.size]])
    order = np.lexsort((nz, -scores[nz]))
    return [(int(nz[i]), float(scores[nz[i]])) for i in order]


def bm25_search(bm: BM25, tokens: Sequence[str], *, top_k: int, mask: np.ndarray) -> list[tuple[int, float]]:
    s = bm25_scores(bm, tokens)
    s *= mask[: s.size]
    return top_positive(s, top_k)


def most_specific(
    catalog: Catalog, slots: Sequence[int], admissible: np.ndarray, chain: Sequence[str]
) -> list[int]:
    out: list[int] = []
    best: dict[int, int] = {}
    for s in slots:
        g = catalog.group_of(s)
        if g < 0:
            out.append(s)
            continue
        if g not in best:
            best[g] = max(
                (
                    flt.specificity(catalog.region_code(o), chain)
                    for o in catalog.group_slots(g)
                    if admissible[o]
                ),
                default=-1,
            )
        if flt.specificity(catalog.region_code(s), chain) >= best[g]:
            out.append(s)
    return out


def search(
    eng: SearchEngine,
    query: str,
    *,
    top_k: int = 10,
    region: str | None = None,
    mode: Mode = "hybrid",
    filters: SearchFilters | None = None,
    explain: bool = False,
    query_vector: np.ndarray | None = None,
    cached_masks: bool = True,
) -> SearchResult:
    """What ``eng.search`` returned before the hot-path work (the encoder path and errors as there).

    ``cached_masks=False`` recomputes the filter mask from the catalogue (the identity test uses it
    so that a wrong cached mask in the engine cannot hide behind the same cache here).
    """
    from retrieval.engine import Hit, SearchResult
    from retrieval.errors import BadQuery, EmbedderError

    q, _repairs = eng.repair(eng.check_query(query))
    if mode not in ("bm25", "dense", "hybrid"):
        raise BadQuery(f"mode {mode!r}: use bm25, dense or hybrid")
    if not 1 <= top_k <= 100:
        raise BadQuery(f"top_k must be between 1 and 100, got {top_k}")
    chain = flt.chain_of(eng.regions, region) if region else None
    filters = filters or SearchFilters()
    degraded = None
    qvec = query_vector
    if mode != "bm25" and qvec is None:
        if eng.embedder is None or eng.dense is None:
            if mode == "dense":
                degraded = "no embedder configured: BM25 only"
            mode = "bm25"
        else:
            try:
                qvec = eng.query_vector(q)
            except EmbedderError as exc:
                degraded = f"embedder failed ({exc}): BM25 only"
                mode = "bm25"
    tokens = eng.tokenizer.tokenize(q) if mode != "dense" else []
    with eng._lock:
        if cached_masks:  # as the engine did: masks cached per (filters, region, day)
            adm, allowed_rows = eng._admissible(filters, chain)
        else:
            adm = flt.mask(eng.catalog, filters, chain)
            allowed_rows = eng.rows.allowed(adm) if eng.dense is not None else None
        n_cand = max(eng.p.candidates, top_k * 3)
        bm: dict[int, float] = {}
        if mode != "dense":
            bm = dict(bm25_search(eng.bm25, tokens, top_k=n_cand, mask=adm))
        dn: dict[int, float] = {}
        best_row: dict[int, int] = {}
        if mode != "bm25" and qvec is not None and eng.dense is not None:
            for row, cos in eng.dense.search(qvec, top_k=n_cand * 2, allowed=allowed_rows):
                for slot in eng.rows.slots_of(row).tolist():
                    if adm[slot] and slot not in dn:
                        dn[slot], best_row[slot] = cos, row
                if len(dn) >= n_cand:
                    break
        bm_rank = {s: i for i, s in enumerate(bm, start=1)}
        dn_rank = {s: i for i, s in enumerate(dn, start=1)}
        if mode == "bm25":
            fused = bm
        elif mode == "dense":
            fused = dn
        elif eng.p.fusion == "rrf":
            fused = rrf([list(bm), list(dn)], k=eng.p.rrf_k, weights=[eng.p.bm25_weight, eng.p.dense_weight])
        else:
            fused = weighted(
                [bm, dn], weights=[eng.p.bm25_weight, eng.p.dense_weight], normalise=[True, False]
            )
        fused, agree = eng.place_adjust(q, fused, mode)
        fused, aspects = eng.aspect_adjust(q, fused, mode)
        ranked = sorted(fused, key=lambda s: (-fused[s], s))
        if eng.p.break_ties:
            ranked = break_ties(q, ranked, fused, lambda s: chars(eng.catalog.docs[s].question), top_k)
        if chain is not None:
            ranked = most_specific(eng.catalog, ranked[: top_k * 4], adm, chain)
        hits: list[Hit] = []
        for s in ranked[:top_k]:
            d = eng.catalog.docs[s]
            matched = d.question
            if s in best_row:
                text = eng.rows.texts[best_row[s]]
                matched = next((v for v in eng.dense_variants(d) if eng.dense_text(v) == text), d.question)
            elif d.similar_questions:
                qset = set(tokens)
                matched = max(eng.variants(d), key=lambda v: len(qset & set(eng.tokenizer.tokenize(v))))
            hits.append(
                Hit(
                    entry_id=d.entry_id,
                    external_key=d.external_key,
                    source_code=d.source_code,
                    question=d.question,
                    matched_question=matched,
                    score=float(fused[s]),
                    tier=d.tier,
                    region_code=d.region_code,
                    kind=d.kind,
                    bm25=bm.get(s),
                    cosine=dn.get(s),
                    rank_bm25=bm_rank.get(s),
                    rank_dense=dn_rank.get(s),
                    matched_terms=eng.bm25.matched_terms(tokens, s) if explain and s in bm else [],
                    place=agree.get(s, 0),
                    aspect=aspects.get(s, 0),
                )
            )
        return SearchResult(hits=hits, degraded=degraded, mode=mode)
