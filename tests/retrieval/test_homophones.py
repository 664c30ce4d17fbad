"""Homophone repair of spoken queries (retrieval/homophones.py), alone and inside the engine."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from retrieval import build_engine
from retrieval.bench import build
from retrieval.corpus import base_docs
from retrieval.homophones import HomophoneRepair, ngram_counts
from retrieval.tokenize import Tokenizer

TERMS = {"社会保险": 50, "社保": 50, "住房公积金": 40, "公积金": 40, "登记": 30, "身份证": 20, "我市": 90}


def test_misheard_spans_are_repaired_to_the_kb_term_they_sound_like() -> None:
    r = HomophoneRepair(TERMS)
    assert r.repair("设保怎么交") == ("社保怎么交", [("设保", "社保")])
    assert r.repair("住房公机金提取") == ("住房公积金提取", [("公机金", "公积金")])
    assert r.repair("结婚登计") == ("结婚登记", [("登计", "登记")])
    assert r.repair("身分证丢了补办") == ("身份证丢了补办", [("身分证", "身份证")])
    # words of the KB stay whole, text without a sound-alike is untouched
    assert r.repair("社保和公积金") == ("社保和公积金", [])
    assert r.repair("护照在哪里办") == ("护照在哪里办", [])


def test_a_sound_alike_must_share_a_character() -> None:
    r = HomophoneRepair({"近视": 10})  # jin shi
    assert r.repair("禁食期间") == ("禁食期间", [])  # same sound, nothing in common: no guess


def test_known_words_seen_spans_and_the_word_model_guard_correct_text() -> None:
    tok = Tokenizer()
    bare = HomophoneRepair(TERMS)
    assert bare.repair("我是兰州的")[1] == [("我是", "我市")]  # without guards it would "repair" 我是
    known = HomophoneRepair(TERMS, is_known={"我是"})
    assert known.repair("我是兰州的")[1] == []
    seen = HomophoneRepair(TERMS, seen={"我是": 5, "我市": 100}, max_seen_ratio=0.02)
    assert seen.repair("我是兰州的")[1] == []  # the KB writes 我是 too often for it to be a mishearing
    lm = HomophoneRepair(TERMS, likelihood=tok.log_likelihood, min_gain=2.5)
    assert lm.repair("我是兰州的")[1] == []  # 我市兰州的 is no likelier than 我是兰州的
    assert lm.repair("结婚登计想预约")[1] == [("登计", "登记")]
    assert tok.log_likelihood("结婚登记") > tok.log_likelihood("结婚登计") + 2.5


def test_ngram_counts() -> None:
    seen = ngram_counts(["社保卡", "社保费, 社保"])
    assert seen["社保"] == 3 and seen["社保卡"] == 1 and seen["保费"] == 1 and "," not in "".join(seen)


def test_engine_searches_the_repaired_query_and_says_so(session: Session, kb: dict[str, int]) -> None:
    engine = build_engine(session=session, embedder=None)
    r = engine.search("住房公机金提取要什么材料", mode="bm25", top_k=3)
    assert r.repaired == "住房公积金提取要什么材料" and r.repairs == [("公机金", "公积金")]
    assert r.hits[0].entry_id in {kb["gjj_prov"], kb["gjj_city"], kb["gjj_county"], kb["gjj_tianshui"]}
    clean = engine.search("住房公积金提取要什么材料", mode="bm25", top_k=3)
    assert clean.repaired is None and clean.repairs == []
    assert [h.entry_id for h in clean.hits] == [h.entry_id for h in r.hits]
    off = build_engine(session=session, embedder=None, repair_homophones=False)
    assert off.repairer is None and off.search("住房公机金提取要什么材料", mode="bm25").repaired is None


HEARD = {  # common speech-recognition confusions (a table of its own, not the engine's)
    "社": "设", "保": "宝", "医": "一", "积": "机", "金": "今", "户": "护", "籍": "级", "证": "正",
    "办": "半", "续": "需", "缴": "交", "险": "现", "补": "不", "贴": "帖", "营": "赢", "照": "召",
    "登": "灯", "记": "纪", "申": "深", "请": "情", "份": "分", "驾": "假", "驶": "使", "婚": "昏",
    "育": "玉", "房": "防", "疫": "益", "苗": "描", "核": "和", "酸": "算", "检": "减", "隔": "格",
    "材": "才", "料": "了",
}  # fmt: skip


def misheard(text: str, rng: random.Random) -> str:
    return "".join(HEARD[c] if c in HEARD and rng.random() < 0.5 else c for c in text)


def expected_keys(item: dict) -> set[str]:  # type: ignore[type-arg]
    keys = set()
    for e in item["expect"]:
        key = f"{e['source']}:{e['key']}"
        keys.add(f"{key}:{e['aspect']}" if e.get("aspect") else key)
    return keys


@pytest.mark.shared
def test_repair_recovers_misheard_questions_and_leaves_clean_ones_alone(shared_dir: Path) -> None:
    """The dev questions as speech recognition might write them, over their entries and a fifth of
    the other real entries: BM25 ranks the expected entry first clearly more often with the
    repair, and the KB's own (clean) questions are almost never touched."""
    items = [json.loads(line) for line in (shared_dir / "eval" / "kb_queries.jsonl").open(encoding="utf-8")]
    wanted = set().union(*(expected_keys(it) for it in items))
    rng = random.Random(3)
    base = [d for d in base_docs(shared_dir / "data") if d.external_key in wanted or rng.random() < 0.2]
    docs = [replace(d, entry_id=i) for i, d in enumerate(base, start=1)]
    engine, _ = build(docs, embedder=None, cache_dir=None, params={})
    assert engine.repairer is not None
    questions = sorted({d.question for d in engine.catalog.docs})
    touched = [q for q in questions if engine.repair(q)[1]]
    assert len(touched) <= 0.005 * len(questions), touched[:20]

    heard = [(it, misheard(it["query"], rng)) for it in items]

    def rank1(repair: bool) -> int:
        keep = engine.repairer
        engine.repairer = keep if repair else None
        try:
            ok = 0
            for it, text in heard:
                hits = engine.search(text, region=it.get("region"), mode="bm25", top_k=1).hits
                ok += bool(hits) and hits[0].external_key in expected_keys(it)
            return ok
        finally:
            engine.repairer = keep

    without, with_repair = rank1(False), rank1(True)
    print(
        f"misheard dev questions, BM25 rank 1: {without} without repair, {with_repair} with; touched {len(touched)}"
    )
    assert with_repair >= without + 0.04 * len(heard), (without, with_repair, len(heard))
