"""Rule-based follow-up rewriting, used when no LLM is configured (and when it fails).

A citizen asks "护照需要什么材料", then "在哪里办". The follow-up alone retrieves nothing useful:
it is rewritten to "护照在哪里办" by taking the subject of the earlier question (the text before its
question phrase) and putting the follow-up after it. ``decide`` tries the rewrite and the original
and keeps the better-supported one, so a wrongly detected follow-up costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Phrases that ask about one aspect of a matter; what precedes them is the matter.
_ASPECT = re.compile(
    r"(需要|要|得)?(带|准备|提交|提供)?(什么|哪些|啥)(材料|资料|证件|手续|条件)|"
    r"(在|去|到)?(哪里|哪儿|什么地方|哪(?!些|个|种|家))|(办理|办|申请)?(地点|地址)|(每年|每月)?(什么时候|何时|啥时候|几月|几号)|"
    r"(要|需要)?多久|几天|多长时间|时限|期限|"
    r"(咨询|投诉|联系)?(电话|热线)|(怎么|如何|怎样)(补办|办理?|申请|预约|查询?|领取|缴纳|报销|续签|换)|"
    r"(能|可以|能不能|可不可以)(网上|在网上|线上)|网上(能|可以)?办|(什么|哪些)(条件|标准|要求)|"
    r"(有|是)(什么|哪些)(政策|规定|补贴)|(是)?多少(钱)?|收费吗?|要钱吗?|"
    r"(谁|哪个部门|什么部门)(负责|管|办)"
)
# Openers of a follow-up that leans on the previous turn.
_FOLLOWUP_START = re.compile(r"^(那|那么|那个|还有|另外|再问一下|再问|然后|这个|它|这|那要是|如果是|要是)")
_FILLERS = re.compile(
    r"^((嗯|呃|啊|喂|哦|那个|就是说|就是|请问|你好|您好|我想问一下|我想问|想问一下|想问|问一下)[，, ]*)+"
)
_TRAIL = re.compile(r"[？?。.!！，,、\s]+$")
_FOLLOWUP_MAX_CHARS = 14
_MIN_SUBJECT_CHARS = 2
_SMALL_TALK = re.compile(r"^(谢谢|多谢|好的|好|嗯|哦|明白了|知道了|行|可以|ok|OK)[啊了的呀！!。.]*$")


def strip_fillers(text: str) -> str:
    """Drop spoken openers (嗯, 那个, 请问...) and trailing punctuation."""
    return _TRAIL.sub("", _FILLERS.sub("", text.strip()))


def subject_of(question: str) -> str:
    """The matter a question is about: the text before its first aspect phrase.

    >>> subject_of("办理护照需要什么材料？")
    '办理护照'
    """
    q = strip_fillers(question)
    m = _ASPECT.search(q)
    subject = q[: m.start()] if m and m.start() > 0 else q
    return _TRAIL.sub("", subject)


def is_followup(question: str) -> bool:
    """A short message, or one that opens with 那/还有/这个..., that cannot stand on its own."""
    q = strip_fillers(question)
    if not q:
        return False
    if _FOLLOWUP_START.match(question.strip()):
        return True
    if q.endswith("呢") and len(q) <= _FOLLOWUP_MAX_CHARS + 4:
        return True
    # a bare aspect question ("在哪里办", "要多久") has nothing before its aspect phrase
    m = _ASPECT.search(q)
    return len(q) <= _FOLLOWUP_MAX_CHARS and m is not None and m.start() <= 2


def rewrite(question: str, history: Sequence[str]) -> str | None:
    """The follow-up made self-contained from the citizen's earlier messages, or None when it is
    not a follow-up or there is nothing to lean on."""
    if not history or not is_followup(question):
        return None
    follow = _FOLLOWUP_START.sub("", strip_fillers(question)).strip("，, ")
    follow = re.sub(r"呢$", "", follow)
    asks_aspect = _ASPECT.search(follow) is not None
    for earlier in reversed(history):
        earlier = strip_fillers(earlier)
        subject = subject_of(earlier)
        # "谢谢", "好的": nothing to lean on; look further back
        if (
            len(subject) < _MIN_SUBJECT_CHARS
            or subject == strip_fillers(question)
            or _SMALL_TALK.match(earlier)
        ):
            continue
        if asks_aspect or not follow:
            # same matter, another aspect: "护照需要什么材料" + "在哪办" → "护照在哪办"
            return f"{subject}{follow}"
        # same aspect, another matter: "社保卡怎么补办" + "还有医保卡呢" → "医保卡怎么补办"
        return f"{follow}{earlier[len(subject) :]}" if len(subject) < len(earlier) else f"{earlier}{follow}"
    return None
