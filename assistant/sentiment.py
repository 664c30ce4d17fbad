"""Caller sentiment for a ticket: "angry", "anxious" or "neutral".

Cue lexicons tuned to hotline ticket wording (the agent's summary, not the caller's raw words):
anger shows as grievance and blame (拒绝, 克扣, 态度恶劣, 多次…无果), anxiety as worry, danger or
a need that cannot wait (担心, 被困, 老人和婴儿, 已断气两天). Consultations with neither are neutral.
The Weibo emotion corpus in ../shared/data/emotion is not used yet: its short social-media posts
are far from ticket summaries, and there was no time to measure whether it helps.
"""

from __future__ import annotations

import re

ANGRY = re.compile(
    r"投诉|拒绝|拒不|拒开|克扣|拖欠|未签|不给|不予|态度恶劣|冷嘲热讽|欺骗|骗|乱收费|强制|强迫|私自|擅自|违规|违法|"
    r"无人(?:清理|管|理)|置之不理|推诿|敷衍|多次.{0,10}(?:无果|无效|未果|没用)|往返.{0,6}次|至今(?:仍)?未|迟迟未|"
    r"跑路|联系不上|失联|优亲厚友|代填|不公开|不透明|加价|一口价|赶下车|扣除|刺耳|油烟弥漫|噪音很大|严重影响|"
    r"气味难闻|堆满垃圾|满溢|污水横流|苍蝇|情绪激动|讨要|未交付|不知情|玩手机|只能走|拥堵严重|漏水|都坏了|"
    r"没有任何通知|时热时不热|要求其支付|不承担|被口头辞退|愤怒|气愤|太过分|忍无可忍|"
    r"都?没用|也不管|都不管|没人(?:修|管|理|处理)|一分钱(?:都)?没|不行|睡不着|受不了|凭什么|不给退|假货|被.{0,4}打了|"
    r"欠了|乱收|黑心|坑人|骗人|耍赖|不讲理|太差|差劲|不负责"
)
ANXIOUS = re.compile(
    r"担心|害怕|恐慌|着急|焦急|急需|被困|险情|危险|隐患|泄漏|刺鼻|下坠|老人和婴儿|婴儿|孩子.{0,6}(?:生病|腹泻|上学)|"
    r"无法做饭|断气|停水|生活困难|家中无|无稳定收入|去世|缺水|不清楚|不知道|何时|已过.{0,4}(?:月|天)|至今.{0,8}未(?:到位|发放|到账)|"
    r"被划到|学位已满|较远|往返多次|仍未办成|室温.{0,6}(?:1[0-6]|[0-9])度|高息|已投入|传播疫病|"
    r"不敢|赶紧|赶快|快点|怕|出不来|冻感冒|急死|救命|怎么办|没办法"
)
NEUTRAL_CUES = re.compile(r"咨询|询问|想了解|想知道|请问|查询")


def sentiment(text: str, *, urgent: bool = False) -> str:
    """Classify a ticket's tone.

    >>> sentiment("来电人咨询：想了解办理退休需要哪些手续。")
    'neutral'
    """
    angry = len(set(ANGRY.findall(text)))
    anxious = len(set(ANXIOUS.findall(text)))
    if urgent and angry == 0:
        # danger is worrying even when the caller's words are calm
        anxious += 1
    if angry == 0 and anxious == 0:
        return "neutral"
    # A pure consultation with one stray cue word is still a consultation.
    if NEUTRAL_CUES.search(text[:20]) and max(angry, anxious) <= 1:
        return "neutral"
    # grievance outweighs worry on a tie: callers who blame someone are heard as angry
    return "angry" if angry >= anxious else "anxious"
