"""Does the entry state the kind of thing asked: an amount of money, a length of time?

A near miss is an entry about the right matter that does not hold the detail asked (九江的创业补贴
多久能到账 → the subsidy's entry, which says how much but never when; 失业金一个月能领多少钱 → an
entry on where to apply). Retrieval confidence cannot see this: the words match. The question's
wanted answer type is read from its words, and the entry's answer is checked for anything of that
type; an entry with none is not given as a direct answer (``calibration.held_back``). An entry whose
own question asks the same thing answers it by definition (南昌缓缴社保费用期限为多久 → 最长6个月, or
内江红十字会收取费用吗 → 不提取任何费用), whatever its wording.

Over the 1,380 questions of the dev sets and all probes it held back 3 confident wrong answers and no
right one (an analysis script over the answer path's top hits, session 8).
"""

from __future__ import annotations

import re

# not 费用 alone (工伤医疗费用申报要什么材料 asks materials), not 交多少 alone (交多少年), not 几天
# after 前/这/过/玩/住 (前几天去办事, 玩几天): a question asking a price or a sum
_ASKS_MONEY = re.compile(
    r"多少钱|花多少|几块钱|要钱|收钱|收费(吗|不|多少|标准)|收不收费|多少费用|费用(是|要|得)?多少|费用标准|"
    r"给多少|补多少|补贴多少|多少补|能领多少钱"
)
_STATES_MONEY = re.compile(
    r"\d[\d,.]*\s*(亿|万|千|百)?(元|块)|[¥￥]\s*\d|\d+(\.\d+)?\s*[%％]|\d+(\.\d+)?\s*(亿|万)|"
    r"[一二三四五六七八九十百千万亿两]+(元|块)|(给予|补贴|补助|奖励|发放|缴纳|收取)\s*\d|"
    r"免费|不收|零收费|无需.{0,3}费|不用交钱|免收|减免|不承担|不提取|标准|比例|费用由"
)
_ASKS_DURATION = re.compile(
    r"多久|多长时间|(?<![前这过玩住近那好])几天|多少天|几个月|多少个工作日|(啥|什么)时候到账|多快"
)
_STATES_DURATION = re.compile(
    r"\d+\s*(个)?(工作日|日|天|小时|个月|月|年|周|星期|分钟)|[一二三四五六七八九十两半]+(个)?(工作日|日|天|小时|个月|月|年|周|星期|分钟)|"
    r"\d+\D{0,2}小时|即办|当场|即时|立即|当日|当天|次日|次月|按月|立等可取|季度|时限|期限|随时"
)
_KINDS = (("a duration", _ASKS_DURATION, _STATES_DURATION), ("an amount", _ASKS_MONEY, _STATES_MONEY))


def unstated(question: str, answer: str, entry_question: str = "") -> str | None:
    """What the question asks that the answer does not state ("an amount", "a duration"), or None.
    ``entry_question``: the entry's own question (and matched variant); an entry asking the same
    kind of thing answers it."""
    for kind, asks, states in _KINDS:
        if asks.search(question) and not states.search(answer) and not asks.search(entry_question):
            return kind
    return None
