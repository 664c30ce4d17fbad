"""Errors of the retrieval package.

    RetrievalError
    ├── BadQuery          the query or a filter is unusable (empty, too long, unknown region, bad filter)
    ├── EmbedderError     the embedder failed or is misconfigured (search falls back to BM25)
    └── IndexMismatch     a saved index does not fit this engine (format, tokenizer, model, KB revision)

Every message says what is wrong and what to do about it.
"""

from __future__ import annotations


class RetrievalError(Exception):
    """Base of all retrieval errors."""


class BadQuery(RetrievalError):
    pass


class EmbedderError(RetrievalError):
    pass


class IndexMismatch(RetrievalError):
    pass
