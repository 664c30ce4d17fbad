"""Does the entry state the kind of thing asked: an amount of money, a length of time?

A near miss is an entry about the right matter that does not hold the detail asked (九江的创业补贴
多久能到账 → the subsidy's entry, which says how much but never when; 失业金一个月能领多少钱 → an
entry on where to apply). Retrieval confidence cannot see this: the words match. The question's
wanted answer type is read from its words, and the entry's answer is checked for anything of that
type; an entry with none is not given as a direct answer (``calibration.held_back``).

Over the dev sets and the earlier probes' confident top hits (1,080 questions, measured when the
rule was written): 40 right answers to a duration question all state one, and 11 right answers to an
amount question all state one; 3 confident wrong answers state none.
"""

from __future__ import annotations

import re

# not 收费 alone (收费权质押登记 is a matter) nor 能领多少 (能领多少发票 asks a quantity)
_ASKS_MONEY = re.compile(
    r"多少钱|花多少|交多少|收多少|要钱|收费(吗|不|多少|标准)|收不收费|费用|给多少|补多少|补贴多少|多少补|几块钱"
)
_STATES_MONEY = re.compile(
    r"\d[\d,.]*\s*(亿|万|千|百)?元|\d+(\.\d+)?\s*[%％]|\d+(\.\d+)?\s*(亿|万)|[一二三四五六七八九十百千万亿两]+(元|块)|"
    r"(给予|补贴|补助|奖励|发放|缴纳|收取)\s*\d|免费|不收|无需.{0,3}费|免收|减免|标准|比例"
)
_ASKS_DURATION = re.compile(r"多久|多长时间|几天|多少天|几个月|多少个工作日|(啥|什么)时候到账|多快")
_STATES_DURATION = re.compile(
    r"\d+\s*(个)?(工作日|日|天|小时|个月|月|年|周)|[一二三四五六七八九十两]+(个)?(工作日|日|天|小时|个月|月|年|周)|"
    r"即办|当场|即时|立即|当日|当天|时限|期限|随时"
)


def unstated(question: str, answer: str) -> str | None:
    """What the question asks that the answer does not state ("an amount", "a duration"), or None."""
    if _ASKS_DURATION.search(question) and not _STATES_DURATION.search(answer):
        return "a duration"
    if _ASKS_MONEY.search(question) and not _STATES_MONEY.search(answer):
        return "an amount"
    return None
