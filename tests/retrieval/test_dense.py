"""The vector index: exact below its size threshold, HNSW above, the same answers either way."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.dense import DenseIndex


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_hnsw_above_the_threshold_finds_what_exact_search_finds(tmp_path: Path) -> None:
    rows = unit_rows(3000, 32, seed=1)
    queries = rows[:50] + unit_rows(50, 32, seed=2) * 0.1
    exact = DenseIndex(dim=32, exact_below=10_000).build(rows)
    hnsw = DenseIndex(dim=32, exact_below=1_000).build(rows)
    assert exact.kind == "flat" and hnsw.kind == "hnsw"
    allowed = np.ones(len(rows), dtype=bool)
    allowed[::3] = False
    overlap = []
    for q in queries:
        want = exact.search(q, top_k=20, allowed=allowed)
        got = hnsw.search(q, top_k=20, allowed=allowed)
        assert all(allowed[r] for r, _ in got)  # the filter holds inside the graph search
        overlap.append(len({r for r, _ in want} & {r for r, _ in got}) / 20)
        assert got[0][0] == want[0][0]  # the best admissible row is found
    assert np.mean(overlap) >= 0.97
    hnsw.save(tmp_path)
    again = DenseIndex.load(tmp_path)
    assert again.kind == "hnsw" and again.size == 3000
    assert again.search(queries[0], top_k=5) == hnsw.search(queries[0], top_k=5)


def test_a_selective_filter_on_hnsw_is_searched_exactly() -> None:
    """One department's entries (1% of the rows): the graph walk alone would miss most of them."""
    rows = unit_rows(5000, 32, seed=3)
    exact = DenseIndex(dim=32, exact_below=10_000).build(rows)
    hnsw = DenseIndex(dim=32, exact_below=1_000).build(rows)
    allowed = np.zeros(len(rows), dtype=bool)
    allowed[::100] = True  # 50 rows
    for q in unit_rows(10, 32, seed=4):
        want = exact.search(q, top_k=50, allowed=allowed)
        assert len(want) == 50
        assert hnsw.search(q, top_k=50, allowed=allowed) == want
