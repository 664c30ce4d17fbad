"""Hybrid retrieval: tokenizer, BM25, embedders, vector index, fusion, filters, index lifecycle."""

from retrieval.embed import Embedder
from retrieval.engine import (
    EntryDoc,
    Hit,
    SearchEngine,
    SearchResult,
    build_engine,
    make_embedder,
    settle_heap,
)
from retrieval.errors import BadQuery, EmbedderError, IndexMismatch, RetrievalError
from retrieval.filters import SearchFilters

__all__ = [
    "BadQuery",
    "Embedder",
    "EmbedderError",
    "EntryDoc",
    "Hit",
    "IndexMismatch",
    "RetrievalError",
    "SearchEngine",
    "SearchFilters",
    "SearchResult",
    "build_engine",
    "make_embedder",
    "settle_heap",
]
