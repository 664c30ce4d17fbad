"""The answer-type check: a question asking an amount, a duration, a place, a phone number, a clock
time or an age is not answered by an entry that states none (assistant/answertype.py, calibration.UNSTATED)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from assistant.answertype import unstated

_WHERE = "答复口径：可在户籍所在地乡镇（街道）便民服务中心办理，需携带居民身份证。咨询电话：12333。"
_HOW_MUCH = "答复口径：在本市创办企业的，每人给予一次性创业补贴5000元。"
_HOW_LONG = "答复口径：线上申请转移接续，一般在15个工作日内完成。"


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        ("创业补贴多久能到账", _HOW_MUCH, "a duration"),
        ("失业金一个月能领多少钱", _WHERE, "an amount"),
        ("报名费一科多少钱 在哪交", _WHERE, "an amount"),
        ("创业补贴给多少", _HOW_MUCH, None),
        ("公积金转移要多久", _HOW_LONG, None),
        ("设备购置补贴补多少", "答复口径：实行设备购置50%补贴。", None),
        ("方舱医院投了多少钱", "答复口径：安排中央预算内投资2.3亿元。", None),
        ("办这个收费吗", "答复口径：本事项不收费。", None),
        # words that only look like the asks (a review of the first version's false alarms)
        ("一次能领多少发票", "答复口径：可以一次领取不超过2个月的发票用量。", None),
        ("收费权质押登记去哪里办", _WHERE, None),
        ("居住证在哪办", _WHERE, None),
        # a review's inputs: words that ask no amount or duration, and ways of stating one
        ("工伤康复费用申报在哪里办理", _WHERE, None),
        ("社保要交多少年", "答复口径：累计缴费满15年。", None),
        ("前几天去办事 居住证在哪办", _WHERE, None),
        ("办证要多少钱", "答复口径：工本费20块。", None),
        ("多久能办好", "答复口径：一个星期左右。", None),
        ("补贴多久到账", "答复口径：次月发放。", None),
        ("办这个要多少钱", "答复口径：不用交钱。", None),
        # session 9's kinds: a place, a phone number, a clock time, an age
        ("临沂的职业介绍补贴 去哪申请", _HOW_MUCH, "a place"),
        ("换证那个体检去哪做", "答复口径：统一延长注销期限。", "a place"),
        ("补贴去哪申请", _WHERE, None),
        ("网上在哪查", "答复口径：登录省政务服务网查询。", None),
        ("公安厅投诉电话是多少", "答复口径：2020年2月3日起施行。", "a phone number"),
        ("举报打哪个电话", "答复口径：市场供应充足，价格总体稳定。", "a phone number"),
        ("举报打哪个电话", "答复口径：可拨打12315举报。", None),
        ("出了问题打什么电话", "答复口径：请拨打110报警。", None),
        ("咨询电话多少", "答复口径：咨询电话：020-83134173。", None),
        ("无人售菜点每天几点开几点关", "答复口径：石家庄市新华区汇君城社区。", "a clock time"),
        ("大厅几点上班", "答复口径：工作日上午9:00至12:00。", None),
        ("有没有年龄限制 七十多岁还能报吗", "答复口径：须提交报名表和序列表。", "an age"),
        ("有没有年龄限制", "答复口径：申请人须年满18周岁。", None),
        # a review's inputs: answers that state the kind in other words, questions that only look like
        # the asks
        ("驾照到期了在哪办", "答复口径：可通过交管12123申请换领。", None),
        ("社保缴费记录在哪查", "答复口径：可通过粤省事或掌上12333查询。", None),
        ("护照去哪办", "答复口径：出入境管理支队。", None),
        ("发票去哪领", "答复口径：到主管税务机关领取。", None),
        ("医保卡去哪里领", "答复口径：到发卡银行领取。", None),
        ("医保报销去哪办", "答复口径：在参保地或就医地均可办理。", None),
        ("居住证在哪办都一样吗", "答复口径：全省通办，不受户籍限制。", None),
        ("我在哪儿办的营业执照就在哪注销吗", "答复口径：注销需提交注销登记申请书。", None),
        ("不知道当初在哪办的社保卡 现在丢了怎么补", "答复口径：携带身份证补办即可。", None),
        ("社保卡绑定的电话号码换了怎么改", "答复口径：登录后修改个人信息。", None),
        ("社保卡号码是多少 在哪看", "答复口径：卡号印在卡面右上方。", None),
        ("打哪个电话都没人接 我要投诉", "答复口径：您的投诉已记录，将转交相关部门处理。", None),
        ("办居住证要注意哪几点", "答复口径：需提交身份证和居住证明。", None),
        (
            "上班时间在单位摔伤了算工伤吗",
            "答复口径：在工作时间和工作场所内因工作原因受伤的，应认定为工伤。",
            None,
        ),
        ("政务大厅几点上班", "答复口径：办公时间为9时至12时，14时至17时30分。", None),
        ("政务大厅几点上班", "答复口径：每天八点半到五点半。", None),
        ("12345几点能打通", "答复口径：12345热线二十四小时服务。", None),
        ("家里老人七十几岁了 高龄津贴怎么领", "答复口径：向户籍所在地村（居）委会申请。", None),
        ("办身份证有年龄限制吗", "答复口径：公民从出生起即可申领。", None),
        ("驾照到期了去哪换", "答复口径：须提交身份证和体检证明。", "a place"),
        # a penalty (session 9's held-out near miss: a date given for "will I be fined")
        ("长春那个市民出行实名登记 坐公交不登记会被罚款吗", "答复口径：2月12日。", "a penalty"),
        ("签证过期三天了 会不会罚款 罚多少", "答复口径：办理地点：萝岗香雪三路3号。", "a penalty"),
        ("哄抬口罩价格会罚多少", "答复口径：200万元至300万元。", None),
        ("逾期申报会不会被罚", "答复口径：延期申报期间不加收滞纳金，不予处罚。", None),
        ("交通罚款在哪交", "答复口径：可在交管12123缴纳罚款。", None),
    ],
)
def test_unstated(question: str, answer: str, missing: str | None) -> None:
    assert unstated(question, answer) == missing


def test_an_entry_asking_the_same_thing_answers_it_whatever_its_wording() -> None:
    # the KB's own question, asked word for word: its answer is the answer
    asked = "海关通关要多久"
    assert unstated(asked, "答复口径：“7×24”小时通关。", "海关多久可以通关") is None
    assert unstated(asked, "答复口径：提供全天候通关服务。", "海关多久可以通关") is None
    assert unstated(asked, "答复口径：提供全天候通关服务。", "海关在哪里报关") == "a duration"


@pytest.mark.db
def test_an_entry_that_does_not_state_the_duration_asked_is_not_the_answer(session: Session) -> None:
    from assistant.answer import decide
    from assistant.calibration import UNSTATED
    from retrieval import build_engine
    from tests import factories
    from tests.assistant.demo_kb import sure_calibrator

    factories.entry(session, question="城乡居民养老保险在哪里参保登记？", answer=_WHERE)
    factories.entry(session, question="公积金账户怎么转移？", answer=_HOW_LONG)
    # near entries that state no duration either: without the candidates' check they were offered
    factories.entry(session, question="城乡居民养老保险参保登记要带什么材料？", answer=_WHERE)
    factories.entry(session, question="城乡居民养老保险参保登记有什么条件？", answer=_WHERE)
    for q in ("护照在哪里办理？", "社保卡丢了怎么补办？", "驾驶证到期了在哪里换证？", "低保怎么申请？"):
        factories.entry(session, question=q, answer=_WHERE)  # BM25 needs a corpus to weigh words
    session.flush()
    engine = build_engine(session=session, embedder=None)
    sure = sure_calibrator()

    def ask(q: str):  # type: ignore[no-untyped-def]
        return decide(engine=engine, question=q, region=None, session=session, calibrator=sure)

    held = ask("城乡居民养老保险参保登记要多久")
    assert held.reason == UNSTATED
    # nor offered among candidates: none of the near entries states a duration, so a person takes it
    assert held.decision == "escalate"
    assert held.candidates == []
    assert ask("公积金账户转移要多久").decision == "answer"
    assert ask("城乡居民养老保险在哪里参保登记").decision == "answer"


@pytest.mark.db
def test_candidates_offered_for_an_unstated_detail_are_those_that_state_it(session: Session) -> None:
    from assistant.answer import _states_asked
    from tests import factories

    where = factories.entry(session, question="城乡居民养老保险在哪里参保登记？", answer=_WHERE)
    how_long = factories.entry(session, question="养老保险关系转移接续怎么办？", answer=_HOW_LONG)
    asks_it = factories.entry(session, question="城乡居民养老保险参保登记多久办好？", answer=_WHERE)
    session.flush()
    asked = "城乡居民养老保险参保登记要多久"
    assert not _states_asked(session, asked, where.id)
    assert _states_asked(session, asked, how_long.id)
    assert _states_asked(session, asked, asks_it.id)  # its own question asks the same thing
    assert _states_asked(session, "城乡居民养老保险在哪里参保登记", where.id)
