"""Urgency rules: every kind of urgent call is flagged, spoken look-alikes are not, and the dev sets
reach full recall.

The cases below are written for these tests in the way callers talk to the hotline (speech
recognition output: no punctuation, fillers, spaces, near-homophones such as 然气). None is copied
from the dev sets, which are measured separately in `test_dev_sets_recall_and_precision`.

They were written in rounds of 30-45 urgent and 30-45 look-alike calls, each round scored BEFORE the
rules were widened for it, to measure how the rules generalise to calls nobody tuned them on:
recall 26/45, 27/40, 23/40, 23/40, 19/30, 22/30 (140/225, 62%; the last round 73%) with 2 false
alarms in 225 look-alikes. Round 7 (session 5, 30 + 30): 19/30 (63%), 3 false alarms (防溺水, 补办,
到现在还没修). Round 8, in the agents' ticket style of the dev sets (20 + 20): 17/20 (85%),
2 false alarms (防走失手环, 去年山体滑坡).
Round 9, the same style (20 + 20): 13/20 (65%), no false alarm.
Round 10, the same style (15 + 15): 8/15 (53%), no false alarm; the learned backstop, fitted
without it, would have caught 3 of the 7 misses (11/15), still with no false alarm.
Round 11, the same style (15 + 15), scored with rules and backstop: rules 8/15 (53%), rules and
backstop 11/15 (73%), 1 false alarm (抢劫后报案的流程, by a rule).
Keyword rules miss new phrasings; every round's misses became rules, and the rounds stay here as
regression cases.

Rounds 12-14 (session 6) were written by three other authors (helpers that never saw the rules or
the cases) and are kept in the ``*_learned`` lists, which the backstop trains on:
round 12 (tickets and spoken, 60 + 60): rules 33/60 (55%), rules and backstop 47/60 (78%),
3 false alarms; round 13 (spoken, 50 + 50, scored after round 12's rules): rules 30/50 (60%), rules
and backstop 43/50 (86%), 8 false alarms; round 14 (agents' tickets, 50 + 50, scored after round
13's rules): rules 37/50 (74%), rules and backstop 43/50 (86%), 3 false alarms.
Round 15 (a fourth author, 30 + 30, both styles), scored with the final rules and backstop of
session 6 before its own mends: rules 14/30 (47%), rules and backstop 28/30 (93%), 1 false alarm.
"""

from __future__ import annotations

import json

import pytest

from assistant.urgency import CASES_PATH, LEARNED_THRESHOLD, learned_score, urgency

# The cases live beside the code: they also train the learned backstop (assistant/urgency.py).
_CASES = json.loads(CASES_PATH.read_text(encoding="utf-8"))
URGENT = [(c["text"], c["reason"]) for c in _CASES["urgent"]]
NOT_URGENT = [c["text"] for c in _CASES["not_urgent"]]
URGENT_LEARNED = [c["text"] for c in _CASES["urgent_learned"]]
NOT_URGENT_LEARNED = [c["text"] for c in _CASES["not_urgent_learned"]]


# Recorded on the dev sets (16 urgent, 124 non-urgent items): precision 16/16 = 1.0, and no
# non-urgent item flagged. The floors sit lower on purpose: a missed emergency costs more than a
# false alarm, so a rule that buys recall on unseen calls may cost a false alarm or two, never more.
DEV_PRECISION_FLOOR = 0.85
DEV_NON_URGENT_KEPT_FLOOR = 0.97


@pytest.mark.parametrize(("text", "reason"), URGENT)
def test_urgent_calls_are_flagged_with_their_reason(text: str, reason: str) -> None:
    result = urgency(text)
    assert result.urgent, text
    assert reason in result.reasons, (text, result.reasons)


@pytest.mark.parametrize("text", NOT_URGENT)
def test_look_alike_complaints_are_not_urgent(text: str) -> None:
    result = urgency(text)
    assert not result.urgent, (text, result.reasons)


def test_patterns_have_no_formatted_tuples() -> None:
    # an rf-string with {0,4} formats the tuple "(0, 4)" instead of a regex repeat
    from assistant.urgency import CUED_RULES, RULES

    assert not [name for name, p in {**RULES, **CUED_RULES}.items() if "(0, " in p.pattern]


def test_own_cases_are_enough_and_distinct() -> None:
    assert len(URGENT) >= 40 and len(NOT_URGENT) >= 40
    assert len({t for t, _ in URGENT} | set(NOT_URGENT)) == len(URGENT) + len(NOT_URGENT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a cued hazard needs the caller to say it is dangerous or happening now
        ("路口信号灯坏了", False),
        ("路口信号灯坏了 车乱开 太危险了", True),
        ("小区路灯杆漏电", False),
        ("小区路灯杆漏电 刚才差点电到小孩", True),
        # negation and prevention talk about a hazard without one
        ("家里没有煤气味 就是想问问燃气表怎么换", False),
        ("家里煤气味很重", True),
        ("怎么预防孩子溺水", False),
        ("有个孩子溺水了", True),
        # paperwork about a past event, unless it is still going on
        ("火灾过后的补助怎么申请", False),
        ("仓库起火了 现在还在烧", True),
    ],
)
def test_cues_negation_and_paperwork(text: str, expected: bool) -> None:
    assert urgency(text).urgent is expected, urgency(text).reasons


def test_spacing_and_full_width_do_not_matter() -> None:
    assert urgency("煤 气 味 很 重").reasons == urgency("煤气味很重").reasons == ["gas_leak"]
    assert urgency("ＳＯＳ 救命啊 有人 被困 在 电梯里").urgent


def test_marked_urgent_needs_an_immediate_request() -> None:
    assert urgency("紧急情况，请立即派人到现场").reasons == ["marked_urgent"]
    assert not urgency("不紧急，有空看看").urgent


def _dev_items(shared_dir) -> list[tuple[str, bool]]:
    items = []
    for name, key in (("out_of_kb.jsonl", "query"), ("tickets.jsonl", "text")):
        with (shared_dir / "eval" / name).open(encoding="utf-8") as fh:
            items += [(row[key], bool(row["urgent"])) for row in map(json.loads, fh)]
    return items


def test_dev_sets_recall_and_precision(shared_dir) -> None:
    """Recall on every urgent dev item must be 1.0; precision stays above the recorded floor."""
    items = _dev_items(shared_dir)
    flagged = [(text, gold, urgency(text).urgent) for text, gold in items]
    urgent = [f for f in flagged if f[1]]
    assert len(urgent) >= 10, "the dev sets hold at least 10 urgent items"
    missed = [text for text, gold, got in flagged if gold and not got]
    false_alarms = [text for text, gold, got in flagged if got and not gold]
    assert not missed, f"urgent dev items not flagged: {missed}"
    precision = len(urgent) / (len(urgent) + len(false_alarms))
    assert precision >= DEV_PRECISION_FLOOR, f"precision {precision:.3f}; false alarms: {false_alarms}"
    kept = 1 - len(false_alarms) / (len(items) - len(urgent))
    assert kept >= DEV_NON_URGENT_KEPT_FLOOR, f"non-urgent kept {kept:.3f}; false alarms: {false_alarms}"


# Urgent tickets written after the backstop was fitted (session 5) that no rule catches: the backstop
# is what flags them. Scored then: rules 4 of 12 such calls, rules and backstop 9 of 12, and none of
# 12 look-alikes flagged.
BACKSTOP_ONLY = [
    "来电人称其丈夫在工地被钢筋扎穿了腿",
    "市民反映某路段两车相撞 其中一辆车翻到沟里",
    "来电人称其妻子临产 羊水破了 救护车进不了村",
    "来电人称其儿子在学校被同学打伤 现在头晕呕吐",
    "来电人反映暴雨导致地下通道积水 一辆车熄火 司机还在车里",
]
BACKSTOP_LOOK_ALIKES = [
    "来电人咨询工伤认定需要准备哪些材料",
    "来电人咨询孕妇产检可以报销多少",
    "来电人反映孩子在学校被同学孤立 希望学校关注",
    "来电人反映下雨后地下通道有积水 行人通行不便",
    "市民反映某路段经常发生交通拥堵 希望优化红绿灯配时",
]


@pytest.mark.parametrize("text", BACKSTOP_ONLY)
def test_the_learned_backstop_flags_tickets_the_rules_miss(text: str) -> None:
    assert not urgency(text).urgent  # the chat screen's rules-only reading
    got = urgency(text, learned=True)
    assert got.urgent and got.reasons == ["resembles_urgent_calls"]
    assert learned_score(text) >= LEARNED_THRESHOLD


@pytest.mark.parametrize("text", BACKSTOP_LOOK_ALIKES)
def test_the_learned_backstop_leaves_look_alikes(text: str) -> None:
    assert not urgency(text, learned=True).urgent


def test_the_backstop_obeys_the_paperwork_guard_and_rules_come_first() -> None:
    paperwork = "来电人称其丈夫在工地被钢筋扎穿了腿 理赔"  # scores as urgent, but asks about a claim
    assert learned_score(paperwork) >= LEARNED_THRESHOLD
    assert not urgency(paperwork, learned=True).urgent
    assert urgency("楼道内燃气味很浓，疑似管道泄漏", learned=True).reasons == ["gas_leak"]


def test_each_other_authors_round_is_caught_by_a_backstop_fitted_without_it() -> None:
    """The backstop trains on rounds 12-14, so scoring them with it proves nothing: refit without
    each round in turn and score that round, rules first (153/160 when the threshold was chosen;
    184/190 with round 15)."""
    from assistant import urgency as u

    rounds = sorted({c["round"] for c in _CASES["urgent_learned"]})
    assert rounds == [12, 13, 14, 15]
    caught = total = 0
    alarms: list[str] = []
    for held in rounds:
        model = u.fit_backstop(
            [c["text"] for c in _CASES["urgent"] + _CASES["urgent_learned"] if c.get("round") != held],
            [
                c["text"]
                for c in _CASES["not_urgent"] + _CASES["not_urgent_learned"]
                if c.get("round") != held
            ],
        )
        for c in _CASES["urgent_learned"]:
            if c["round"] == held:
                total += 1
                caught += urgency(c["text"], learned=True, backstop=model).urgent
        alarms += [
            c["text"]
            for c in _CASES["not_urgent_learned"]
            if c["round"] == held and urgency(c["text"], learned=True, backstop=model).urgent
        ]
    assert len(alarms) <= 2, f"held-out look-alikes flagged: {alarms}"
    assert total == 190
    assert caught >= 178, f"held-out rounds: {caught}/{total} urgent calls caught"


@pytest.mark.parametrize("text", NOT_URGENT_LEARNED)
def test_other_authors_look_alikes_are_not_flagged(text: str) -> None:
    # the rules only: the backstop trains on these, so its held-out reading is tested above
    result = urgency(text)
    assert not result.urgent, (text, result.reasons)


# From the review of session 6's rules: real, ongoing emergencies that the resolved and past-event
# guards must not clear, and ordinary requests that the new cues must not turn into emergencies.
STILL_URGENT = [
    "孩子被困在电梯里 等着被救出",
    "电梯困人 一个多小时还没有被救出",
    "泥石流把房子埋了 我妈还没被救出来",
    "一个人已经被救出来了 还有两个人被困在井下",
    "已经救出一个 还有人在里面 火很大",
    "明火已扑灭 但是有个工人烧伤昏迷了 叫不醒",
    "孩子已经找到了 但是头上一直流血 人昏迷了",
    "火早就灭了 但是烟还很大 里面有人晕倒了",
    "老人早就出院了 今天又晕倒了 叫不醒",
    "燃气公司已找到漏点 但是煤气味很大 到现在没人来修",
    "我就是问问 家里煤气味很重 老人头晕恶心 要不要紧",
    "厂房着火了 我们这边什么事都没有人管吗",
    "我女儿上周走丢了 一直没找到 求帮忙",
    "我爸有老年痴呆 上个月走失了 至今没有消息",
    "前些天隔壁工厂爆炸过 今天又闻到很浓的煤气味",
    "前段时间地震后房子开裂 今天墙又裂了一大块 随时会塌",
    "厨房抽油烟机着火了",
    "楼下饭店的油烟管道着火了 浓烟很大",
    "油烟机冒火了 关不掉",
    "家里着火了 一样东西都没拿出来 我妈还在屋里",
    "楼道着火了 灭火器去哪领",
]
ORDINARY = [
    "新买的冰箱底部一直冒水 商家不给退",
    "冰箱外壳有裂纹 要求退换",
    "宝宝十几个月了发烧39度 夜间儿科门诊在哪",
    "家里几个孩子都发烧了 社区医院几点开门",
    "葡萄得了炭疽病怎么治",
    "农药残留超标的菜吃了会怎样",
    "学生宿舍押金毕业一年了还未归还",
    "赔了钱这事就了结了吗",
    "物业叫了好几次都不吭声",
    "地铁早高峰被挤得受不了 能不能加车",
    "空调有股怪味 是不是漏气了",
    "头疼死了 电动车轮胎又漏气了",
    "汽车排气管冒白烟 是不是发动机有问题",
    "小区锅炉房烟囱一直冒白烟 有污染吗",
    "汽车防盗报警器半夜一直响 吵得睡不着",
    "楼道烟感报警器一直叫 电池没电了",
    "哪里可以大量购买烟花 过年用",
    "小区水库边的水管冒水 浪费",
    "急得跟着火了一样 社保卡到底什么时候能办好",
]


@pytest.mark.parametrize("text", STILL_URGENT)
def test_guards_do_not_clear_an_emergency_that_goes_on(text: str) -> None:
    assert urgency(text).urgent, text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_requests_with_hazard_words_are_not_urgent(text: str) -> None:
    result = urgency(text)  # the rules, as the chat screen runs them
    assert not result.urgent, (text, result.reasons)


def test_the_backstop_raises_few_alarms_on_ordinary_requests() -> None:
    # one known false alarm when recorded: 头疼死了 电动车轮胎又漏气了 (0.78)
    flagged = [t for t in ORDINARY if urgency(t, learned=True).urgent]
    assert len(flagged) <= 1, flagged


# Written letters (12345 web messages) are read without their past-dated sentences.
_PREAMBLE = (
    "尊敬的领导您好，我是本市的一名普通市民，平时工作很忙，很少给政府写信，今天实在是没有办法了才写这封信，"
    "希望领导能够看到并且重视。我们这里的老百姓都很朴实，有事情也不愿意麻烦政府，但是这件事情确实需要政府出面解决，谢谢。"
    "我想反映一个情况，麻烦领导帮忙看一下，实在是着急。"
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "我们小区5号楼的燃气管道从去年就老化了，物业一直不修。现在楼道里燃气味很浓，正在漏气。请派人处理！",
            "gas_leak",
        ),
        (
            "楼道里燃气味很浓，疑似管道泄漏，已通知住户开窗，未动明火。诉求：立即派燃气抢修人员到场处置。",
            "gas_leak",
        ),
        (
            "我们村后山这几天连续下暴雨。现在山上正在往下冲泥石流，山下就是村小学。请立即组织转移！",
            "disaster",
        ),
        # a review's letters: no "now" word, the "now" a sentence before, a rule across a full stop,
        # words that are no past (一年级, 之前, 事发地点, today's date with 正在)
        (
            "我母亲有老年痴呆，今天早上出门后就不见了，手机也没带，到处都找不到。请帮忙寻找！",
            "missing_person",
        ),
        ("我父亲倒在地上，叫不醒，没有呼吸了。请派救护车！", "medical"),
        ("现在情况非常危险！楼道里燃气味很浓。请派人处理。", "gas_leak"),
        ("我母亲有老年痴呆。今天早上出门，现在联系不上。", "missing_person"),
        ("我家孩子上一年级，现在被困在电梯里出不来了。", "trapped"),
        ("后来火越烧越大，现在已经烧到二楼了。", "fire"),
        ("在消防车赶到之前，火势正在蔓延，楼上还有人被困。", "fire"),
        ("事发地点在城关区某路12号，楼道里燃气味很浓，正在漏气。", "gas_leak"),
        ("今天5月3日晚上，楼道里燃气味很浓，正在漏气。", "gas_leak"),
    ],
)
def test_a_letter_telling_of_a_danger_now_is_urgent(body: str, reason: str) -> None:
    text = _PREAMBLE + body
    assert len(text) >= 150
    assert reason in urgency(text).reasons


@pytest.mark.parametrize(
    "body",
    [
        "2018年我家楼下饭店着火，当时浓烟很大，我父亲被呛晕送医。后来饭店换了老板继续营业，消防通道一直被堵，我们多次反映没人管。希望有关部门查一查。",
        "今年8月2日晚我在路边吃夜宵，被人用刀捅伤胸部，当场昏迷。至今凶手没有抓到，警方说正在侦办。请领导督促公安机关尽快破案。",
        "我父亲去年在采石场上班时被落石砸伤，当时昏迷，住院三个月。现在老板不给赔偿，也不发工资，我们找了很多部门都没人管。请领导主持公道。",
    ],
)
def test_a_letter_narrating_a_past_event_is_not_urgent(body: str) -> None:
    text = _PREAMBLE + body
    assert urgency(text).urgent is False, urgency(text).reasons
    # read whole, as a call, the same words would be flagged: the letter reading is what clears them
    assert len(body) < 150 and urgency(body).urgent


@pytest.mark.shared
def test_few_real_letters_are_flagged(shared_dir) -> None:
    """Most gov_messages letters are complaints about the past; read whole, the rules flagged 75 of
    these 800 (9 %), without their past-dated sentences 64 (8 %)."""
    import csv
    import random

    path = shared_dir / "data" / "gov_messages" / "csv" / "附件2_test_unlabeled.csv"
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    random.Random(0).shuffle(rows)
    letters = [r["留言主题"] + "。" + r["留言详情"] for r in rows[:800]]
    flagged = [t[:60] for t in letters if urgency(t).urgent]
    assert len(flagged) <= 70, f"{len(flagged)} of 800 letters flagged: {flagged[:10]}"
