"""Okapi BM25 over a sparse term × document matrix, with rank-bm25's ``BM25Okapi`` idf.

Scores equal ``rank_bm25.BM25Okapi(corpus, k1, b, epsilon).get_scores(query)`` on the same tokens
(tests/retrieval/test_bm25.py checks it); the difference is speed: every (term, document) weight is
precomputed once into a CSR matrix, so a query costs one sparse row sum over its terms.

Fields: a document may be a weighted bag of several fields (question ×3, similar questions ×2,
answer ×1): the weighted counts stand in for term frequencies, and document length is the
weighted length. With a single field of weight 1 this is exactly BM25Okapi.

Live edits: ``add`` appends documents scored with the frozen corpus statistics (idf, average
length) of the last full build; ``remove`` hides documents. A rebuild refreshes the statistics.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp


def okapi_idf(doc_freq: np.ndarray, n_docs: int, epsilon: float) -> np.ndarray:
    """rank-bm25 BM25Okapi's idf: log((N - n + 0.5) / (n + 0.5)); negatives floored at ε × mean idf."""
    idf = np.log((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    mean = float(idf.mean()) if idf.size else 0.0
    return np.where(idf < 0, epsilon * mean, idf)


class BM25:
    """BM25Okapi over weighted token counts; ``search``/``scores`` take a token list."""

    def __init__(self, *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        if k1 < 0 or not 0 <= b <= 1 or epsilon < 0:
            raise ValueError(
                f"BM25 needs k1 >= 0, 0 <= b <= 1, epsilon >= 0 (got k1={k1}, b={b}, epsilon={epsilon})"
            )
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0, dtype=np.float32)
        self.avgdl = 0.0
        self.n_docs = 0
        self.matrix: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)  # terms × docs
        self.alive = np.zeros(0, dtype=bool)
        self._extra: list[sp.csr_matrix] = []

    # ------------------------------------------------------------------ build

    @staticmethod
    def bag(fields: Sequence[tuple[Sequence[str], float]]) -> Counter[str]:
        """Weighted term counts of a document made of (tokens, weight) fields."""
        c: Counter[str] = Counter()
        for tokens, w in fields:
            for t in tokens:
                c[t] += w  # type: ignore[assignment]  # weighted counts are floats
        return c

    def fit(self, docs: Iterable[Counter[str] | Sequence[str]]) -> BM25:
        """Index documents (token lists, or weighted bags from ``bag``); replaces any previous index."""
        bags = [d if isinstance(d, Counter) else Counter(d) for d in docs]
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(bags), dtype=np.float64)
        for j, bag in enumerate(bags):
            lengths[j] = sum(bag.values())
            for term, tf in bag.items():
                rows.append(vocab.setdefault(term, len(vocab)))
                cols.append(j)
                vals.append(tf)
        n = len(bags)
        tf_m = sp.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(len(vocab), n))
        tf_m.sum_duplicates()
        df = np.diff(tf_m.indptr).astype(np.float64)
        self.vocab, self.n_docs = vocab, n
        self.avgdl = float(lengths.mean()) if n else 0.0
        self.idf = okapi_idf(df, n, self.epsilon) if n else np.zeros(0)
        self.matrix = self._weights(tf_m, lengths)
        self.alive = np.ones(n, dtype=bool)
        self._extra = []
        return self

    def _weights(self, tf_m: sp.csr_matrix, lengths: np.ndarray) -> sp.csr_matrix:
        """idf × tf(k1+1) / (tf + k1(1 - b + b·dl/avgdl)) for every stored (term, doc)."""
        tf_m = tf_m.tocsr()
        coo = tf_m.tocoo()
        tf = coo.data
        norm = self.k1 * (1 - self.b + self.b * lengths[coo.col] / (self.avgdl or 1.0))
        idf = self.idf[coo.row] if coo.row.size else np.zeros(0)
        w = idf * tf * (self.k1 + 1) / (tf + norm)
        out = sp.csr_matrix((w.astype(np.float32), (coo.row, coo.col)), shape=tf_m.shape)
        out.sum_duplicates()
        return out

    # ------------------------------------------------------------------ live edits

    def add(self, docs: Sequence[Counter[str] | Sequence[str]]) -> list[int]:
        """Append documents with the frozen statistics; returns their document ids.

        Terms the build never saw get the idf of a term found in one document (at least 0.1).
        """
        bags = [d if isinstance(d, Counter) else Counter(d) for d in docs]
        start = self.n_docs + sum(m.shape[1] for m in self._extra)
        # a term the build never saw is as rare as can be: idf of a term in one of N+1 documents
        # (kept positive: in a tiny KB the Okapi formula would make it negative and hide the entry)
        n = self.n_docs + 1
        unseen_idf = max(math.log((n - 1 + 0.5) / 1.5), 0.1)
        local: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for j, bag in enumerate(bags):
            dl = sum(bag.values())
            norm = self.k1 * (1 - self.b + self.b * dl / (self.avgdl or 1.0))
            for term, tf in bag.items():
                i = self.vocab.get(term)
                idf = float(self.idf[i]) if i is not None else unseen_idf
                rows.append(local.setdefault(term, len(local)))
                cols.append(j)
                vals.append(idf * tf * (self.k1 + 1) / (tf + norm))
        m = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(local), len(bags)))
        m.extra_vocab = local  # type: ignore[attr-defined]
        self._extra.append(m)
        self.alive = np.concatenate([self.alive, np.ones(len(bags), dtype=bool)])
        return list(range(start, start + len(bags)))

    def remove(self, doc_ids: Iterable[int]) -> None:
        """Hide documents from every later search."""
        for d in doc_ids:
            if 0 <= d < self.alive.size:
                self.alive[d] = False

    @property
    def size(self) -> int:
        return int(self.alive.size)

    # ------------------------------------------------------------------ search

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document (hidden ones 0); a repeated query token counts again."""
        out = np.zeros(self.size, dtype=np.float32)
        counts = Counter(tokens)
        m = self.matrix
        # one posting list per query term, added with numpy: measured 2x faster at the median and 12x
        # at p99 than scipy's sparse product (which builds a sparse result first)
        for t, c in counts.items():
            i = self.vocab.get(t)
            if i is not None:
                s, e = m.indptr[i], m.indptr[i + 1]
                out[m.indices[s:e]] += c * m.data[s:e]
        start = self.n_docs
        for m in self._extra:
            voc = m.extra_vocab  # type: ignore[attr-defined]
            for t, c in counts.items():
                i = voc.get(t)
                if i is not None:
                    row = m.getrow(i)
                    out[start + row.indices] += c * row.data
            start += m.shape[1]
        out[~self.alive] = 0.0
        return out

    def search(
        self, tokens: Sequence[str], *, top_k: int = 10, mask: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``top_k`` (doc id, score) pairs with a positive score, best first; ``mask`` keeps docs.

        Equal to ``top_positive(scores(tokens) * mask, top_k)`` bit for bit (the same float32 sums in
        the same term order), but pruned MaxScore-style (Turtle & Flood 1995): exact scores of the
        rarest terms' documents give a floor θ for the k-th score; the commonest terms whose summed
        maximum weights stay below θ cannot lift a document into the top k on their own, so only
        documents of the other terms are scored. At 400k entries a question's terms post ~90k
        (document, term) pairs at the median and 500k at p99; the candidates are a few thousand.
        """
        if top_k <= 0:
            return []
        terms = self._postings(tokens)
        if not terms:
            return []
        sizes = [t[0].size for t in terms]
        total = sum(sizes)

        def admissible(ids: np.ndarray, sc: np.ndarray) -> np.ndarray:
            keep = sc > 0
            keep &= self.alive[ids]
            if mask is not None:
                keep &= mask[ids]
            return keep

        theta = 0.0
        if len(terms) > 1 and total > 4 * top_k:
            pool_terms: list[int] = []
            for j in sorted(range(len(terms)), key=sizes.__getitem__):
                pool_terms.append(j)
                if sum(sizes[x] for x in pool_terms) * 4 > total:
                    break  # the pool would cost as much as scoring everything
                pool = _union([terms[x][0] for x in pool_terms])
                sc = self._exact(terms, pool)
                keep = admissible(pool, sc)
                if int(keep.sum()) >= top_k:
                    theta = float(np.partition(sc[keep], -top_k)[-top_k])
                    break
        essential = list(range(len(terms)))
        if theta > 0:
            cum = 0.0
            for j in sorted(range(len(terms)), key=lambda x: terms[x][3]):
                # margin: float32 rounding of the real sums may exceed the float64 bound by an ulp
                if (cum + terms[j][3]) * (1 + 1e-5) + 1e-6 < theta:
                    cum += terms[j][3]
                    essential.remove(j)
                else:
                    break
        cand = _union([terms[j][0] for j in essential])
        sc = self._exact(terms, cand)
        keep = admissible(cand, sc)
        return top_positive_of(cand[keep], sc[keep], top_k)

    def _postings(self, tokens: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray, int, float]]:
        """(doc ids ascending, weights, query count, upper bound of count × weight) per query term,
        in the order ``scores`` adds them (main index first, then each batch of live additions)."""
        counts = Counter(tokens)
        out: list[tuple[np.ndarray, np.ndarray, int, float]] = []
        m = self.matrix
        maxw = self._row_max()
        for t, c in counts.items():
            i = self.vocab.get(t)
            if i is not None and m.indptr[i + 1] > m.indptr[i]:
                s, e = m.indptr[i], m.indptr[i + 1]
                out.append((m.indices[s:e], m.data[s:e], c, c * float(maxw[i])))
        start = self.n_docs
        for m in self._extra:
            if not m.has_sorted_indices:
                m.sort_indices()
            voc = m.extra_vocab  # type: ignore[attr-defined]
            for t, c in counts.items():
                i = voc.get(t)
                if i is not None and m.indptr[i + 1] > m.indptr[i]:
                    s, e = m.indptr[i], m.indptr[i + 1]
                    data = m.data[s:e]
                    out.append((start + m.indices[s:e], data, c, c * float(data.max())))
            start += m.shape[1]
        return out

    def _row_max(self) -> np.ndarray:
        """The largest weight of each term in the main index (cached; the index is frozen until fit)."""
        cached = getattr(self, "_maxw", None)
        if cached is None or cached.size != self.matrix.shape[0]:
            m = self.matrix
            if not m.has_sorted_indices:
                m.sort_indices()
            cached = np.zeros(m.shape[0], dtype=np.float64)
            nonempty = np.flatnonzero(np.diff(m.indptr))
            if nonempty.size:
                cached[nonempty] = np.maximum.reduceat(m.data, m.indptr[nonempty])
            self._maxw = cached
        return cached

    def _exact(self, terms: list[tuple[np.ndarray, np.ndarray, int, float]], cand: np.ndarray) -> np.ndarray:
        """Scores of the (ascending) documents ``cand``: the same float32 additions as ``scores``."""
        acc = np.zeros(cand.size, dtype=np.float32)
        if not cand.size:
            return acc
        marks: np.ndarray | None = None
        for ids, data, c, _ub in terms:
            if cand.size * 16 < ids.size:
                pos = np.searchsorted(ids, cand)
                pos[pos == ids.size] = 0
                hit = ids[pos] == cand
                acc[hit] += c * data[pos[hit]]
            else:
                if marks is None:
                    marks = np.full(self.size, -1, dtype=np.int64)
                    marks[cand] = np.arange(cand.size)
                where = marks[ids]
                sel = where >= 0
                acc[where[sel]] += c * data[sel]
        return acc

    def matched_terms(self, tokens: Sequence[str], doc_id: int) -> list[str]:
        """Query tokens that occur in the document (for explanations)."""
        out: list[str] = []
        for t in dict.fromkeys(tokens):
            if doc_id < self.n_docs:
                i = self.vocab.get(t)
                if i is not None and self.matrix[i, doc_id] != 0:
                    out.append(t)
            else:
                start = self.n_docs
                for m in self._extra:
                    if doc_id < start + m.shape[1]:
                        j = m.extra_vocab.get(t)  # type: ignore[attr-defined]
                        if j is not None and m[j, doc_id - start] != 0:
                            out.append(t)
                        break
                    start += m.shape[1]
        return out


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    """Sorted distinct values of several (each ascending) arrays."""
    if len(arrays) == 1:
        return arrays[0]
    return np.unique(np.concatenate(arrays))


def top_positive_of(ids: np.ndarray, values: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` largest of ``values`` (all positive, at ascending ``ids``), best first, ties by lower id."""
    if k <= 0 or ids.size == 0:
        return []
    if ids.size > k:
        kth = np.partition(values, ids.size - k)[ids.size - k]
        above = np.flatnonzero(values > kth)
        # of the documents tied with the k-th score, the lowest ids fill the remaining places
        tied = np.flatnonzero(values == kth)[: k - above.size]
        sel = np.concatenate([above, tied])
        ids, values = ids[sel], values[sel]
    order = np.lexsort((ids, -values))
    return list(zip(ids[order].tolist(), values[order].astype(np.float64).tolist(), strict=True))


def top_positive(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Indices and values of the ``k`` largest positive scores, best first (ties by lower index)."""
    if k <= 0 or scores.size == 0:
        return []
    nz = np.flatnonzero(scores > 0)
    return top_positive_of(nz, scores[nz], k)
