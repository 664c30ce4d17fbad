from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from retrieval.corpus import base_docs, corpus_digest, make_corpus, read_jsonl, write_jsonl


def test_same_seed_same_corpus_and_gansu_variants_share_questions(shared_dir: Path, tmp_path: Path) -> None:
    base = base_docs(shared_dir / "data")
    size = len(base) + 3000
    a = make_corpus(shared_data=shared_dir / "data", size=size, seed=1)
    b = make_corpus(shared_data=shared_dir / "data", size=size, seed=1)
    c = make_corpus(shared_data=shared_dir / "data", size=size, seed=2)
    assert len(a) == size and corpus_digest(a) == corpus_digest(b) != corpus_digest(c)
    gansu = [d for d in a if d.region_code and d.region_code.startswith("62")]
    assert len(gansu) == 3000
    assert {d.tier for d in gansu} <= {"city", "county"}
    # a regional variant asks the base question (so vectors are shared) and answers with its own facts
    base_by_key = {d.external_key: d for d in base}
    v = next(d for d in gansu if d.aspect == "consult_phone")
    original = base_by_key[v.external_key.rsplit(":", 1)[0]]
    assert v.question == original.question and v.matter_key == original.matter_key
    assert v.answer != original.answer
    assert len({d.entry_id for d in a}) == size
    write_jsonl(a[:50], tmp_path / "c.jsonl")
    assert corpus_digest(list(read_jsonl(tmp_path / "c.jsonl"))) == corpus_digest(a[:50])


def test_smaller_than_the_sources_is_a_sample(shared_dir: Path) -> None:
    docs = make_corpus(shared_data=shared_dir / "data", size=500, seed=3)
    assert len(docs) == 500
    assert Counter(d.source_code for d in docs).keys() <= {"covid_policy_qa", "gd_matters"}
    with pytest.raises(ValueError, match="positive"):
        make_corpus(shared_data=shared_dir / "data", size=0)
