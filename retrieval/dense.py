"""Dense vector index over faiss: exact inner product below a size threshold, HNSW above it.

Rows are question variants (an entry's question and each similar question); the caller maps rows
to entries. Vectors are L2-normalised, so inner product is cosine. New rows are appended live;
hidden rows are excluded with a faiss ID selector, so filtering happens inside the search rather
than after a top-k that filtered rows could crowd out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# below this share of admissible rows, filtered searches of an HNSW index run exactly over its storage
SELECTIVE = 0.2


class DenseIndex:
    """``search(vector, top_k, allowed)`` over appended rows; exact or HNSW by size."""

    def __init__(
        self,
        *,
        dim: int,
        exact_below: int = 50_000,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
    ) -> None:
        if dim <= 0:
            raise ValueError(f"dense index dimension must be positive, got {dim}")
        self.dim, self.exact_below, self.hnsw_m = dim, exact_below, hnsw_m
        self.ef_construction, self.ef_search = ef_construction, ef_search
        self.index: Any = faiss.IndexFlatIP(dim)

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSWFlat) else "flat"

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def build(self, vectors: np.ndarray) -> DenseIndex:
        """Replace the index with ``vectors`` (rows 0..n-1); HNSW when n reaches ``exact_below``."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors) >= self.exact_below:
            idx: Any = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            idx.hnsw.efConstruction = self.ef_construction
            idx.hnsw.efSearch = self.ef_search
        else:
            idx = faiss.IndexFlatIP(self.dim)
        if len(vectors):
            idx.add(vectors)
        self.index = idx
        return self

    def add(self, vectors: np.ndarray) -> list[int]:
        """Append rows; returns their row ids."""
        start = self.size
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if len(vectors):
            self.index.add(vectors)
        return list(range(start, start + len(vectors)))

    def search(
        self, vector: np.ndarray, *, top_k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Best ``top_k`` (row, cosine) pairs; ``allowed`` is a boolean mask over rows."""
        if self.size == 0 or top_k <= 0:
            return []
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            bits = np.packbits(allowed[: self.size].astype(np.uint8), bitorder="little")
            sel = faiss.IDSelectorBitmap(self.size, faiss.swig_ptr(bits))
            index = self.index
            if self.kind == "hnsw" and allowed[: self.size].sum() >= SELECTIVE * self.size:
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.ef_search, top_k))  # type: ignore[attr-defined]
            else:
                # a selective filter (one department's or topic's entries) starves the graph walk of
                # admissible neighbours (recall@200 0.45 with 1% allowed): search the vectors exactly
                index = faiss.downcast_index(self.index.storage) if self.kind == "hnsw" else self.index
                params = faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]
            d, i = index.search(q, min(top_k, self.size), params=params)
            del bits  # kept alive until the search returned: faiss holds a raw pointer
        else:
            if self.kind == "hnsw":
                self.index.hnsw.efSearch = max(self.ef_search, top_k)
            d, i = self.index.search(q, min(top_k, self.size))
        return [(int(r), float(s)) for r, s in zip(i[0], d[0], strict=True) if r >= 0]

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(path / "dense.faiss"))
        (path / "dense.json").write_text(
            json.dumps(
                {
                    "dim": self.dim,
                    "kind": self.kind,
                    "exact_below": self.exact_below,
                    "hnsw_m": self.hnsw_m,
                    "ef_search": self.ef_search,
                    "rows": self.size,
                }
            )
        )

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        meta = json.loads((path / "dense.json").read_text())
        d = cls(
            dim=meta["dim"],
            exact_below=meta["exact_below"],
            hnsw_m=meta["hnsw_m"],
            ef_search=meta["ef_search"],
        )
        d.index = faiss.read_index(str(path / "dense.faiss"))
        return d
