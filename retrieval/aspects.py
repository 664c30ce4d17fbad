"""Which aspect of a matter a question asks about: materials, location, time limit, phones,
criteria, online, department.

办事指南 sources split one matter into entries per aspect, and their questions share the matter's
name, so retrieval finds the matter well but often the wrong aspect ("广州律师转所找谁审核" matches the
matter's materials entry as well as its department entry). The aspect is asked in a handful of ways,
spoken ones included, so rules read it from the question; the engine moves entries of the asked
aspect up and the matter's other aspects down (``SearchEngine.aspect_adjust``).
"""

from __future__ import annotations

import re

from retrieval.tokenize import normalize

# First match wins: the more specific asks come first (投诉电话 before 电话, 网上在哪办 before 在哪办).
ASPECT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # (a line named as the matter asks no complaint: 12328监督电话归哪个部门管 asks the office)
    ("complain_phone", re.compile(r"投诉|不满意|有意见|(监督|举报)电话(?!.{0,3}(哪个|什么)(部门|单位))")),
    # an office asked for by name outranks a matter named after its channel (在线报名 是哪个单位搞的)
    ("department", re.compile(r"哪个部门|什么部门|哪个单位|哪家单位|什么单位|谁负责")),
    (
        "online",
        re.compile(
            r"网上|线上|在线|网站|网址|(?:[去在到从上](?:哪|那)|哪)(?:里|儿)?(?:能|可以)?下载|下载(?:地址|链接)|(?:哪个|什么|啥|哪|那个)平台|平台(?:上|能|可以|办|查|申请|申报|登录)|在.{0,8}平台(?:上|办|申请|申报|查)|app|小程序|公众号|手机上|掌上|不想跑|不用跑|不跑|邮寄"
            # the provinces' service apps: 甘快办 (Gansu), 粤省事 (Guangdong)
            r"|甘快办|粤省事"
            r"|((在|去|到|上)(哪|那)|哪里|哪儿)(里|理|儿)?(能|可以)?(看|查)"
        ),
    ),
    ("consult_phone", re.compile(r"电话|热线|号码|咨询找谁|打给谁|联系方式|(?<![请想])问谁|找谁问")),
    (
        "department",
        re.compile(
            r"哪个部门|什么部门|哪个单位|哪家单位|谁负责|谁管|归谁|找谁|谁(来)?(审批|审核|批|办|受理)|哪个局|哪个厅"
            # 哪 heard as 那: "需要那个部门审核"
            r"|那个(部门|单位|局|厅)(来)?(审批|审核|批|办|管|负责|同意)"
        ),
    ),
    # a deadline for applying ("入境后多少天内要办", "提前几天申请") is an acceptance condition; how long
    # the office takes is the time limit
    (
        "criteria",
        re.compile(
            r"提前(多少|几)天|(多少|几)(天|日|个月|个工作日)(之)?内(要|得|必须|需要)?([办半](?!结|好|完|下)|提|申请|申报|报)"
        ),
    ),
    # a deadline asked after a place ("材料交到哪以后要几天") is about the deadline
    (
        "time_limit",
        re.compile(
            r"多久|多长时间|多少天|几天|几个工作日|时限|多快|多少个工作日"
            r"|(啥|什么)时候(能|可以)?(办好|办完|办下来|批下来|拿到|下来|出来)"
        ),
    ),
    # an explicit ask for documents outranks a place mentioned in passing ("所里搬地址了，备案要啥材料")
    (
        "materials",
        re.compile(
            r"(什么|啥|哪些|哪样|几样)(材料|资料|证件|手续|东西)|(交|带|拿|提交|准备)些?(什么|啥|哪些)(?!时候)"
        ),
    ),
    # speech recognition often writes 哪 as 那 ("去那办", "在那里交"); 上哪/到哪 are spoken forms
    (
        "location",
        re.compile(
            r"(递|交|送)到[哪那]|在哪|去哪|上哪|到哪|哪里|哪儿|地址|地点|窗口|房间|几楼|哪个大厅"
            r"|(在|去|到|上)那(里|理|儿)?([办半]|交|递|领|拿|申请|去)|那(里|理|儿)(能|可以)?([办半]|交|递|申请)"
        ),
    ),
    (
        "materials",
        re.compile(
            # not a bare 东西 or 平台 above: 买东西发现秤不准, 托带一个大平台 name things, not asks
            r"材料|资料|带什么|带啥|带哪些|要带|准备什么|准备哪些|准备啥|提交什么|提交哪些|手续|证件"
            r"|(?:准备|带|交|提交|需要|所需)的?东西"
        ),
    ),
    (
        "criteria",
        re.compile(
            r"条件|标准|资格|符合|够不够|能不能申请|可以申请吗|能申请吗|要求|限制|什么样的人|哪些人(可以|能)|谁(可以|能)申请"
            # "我这种情况能不能办": whether one may (where and online asks are matched above)
            r"|能不能办|能办吗|可以办吗"
        ),
    ),
)


# What speech recognition writes for the words the asks are made of (its usual same-sound confusions,
# as in the dev questions made spoken), read back before the rules: only forms that are not words of
# their own ("要啥材了" asks for materials). Single characters heard for others (那 for 哪, 半 for 办)
# are matched in the patterns above next to an ask word, never replaced: 我在那里上班, 半夜施工 and
# 公司三个月没发工资了 name no aspect. The question itself is not changed.
HEARD: tuple[tuple[str, str], ...] = (
    ("材了", "材料"),
    ("才料", "材料"),
    ("哪理", "哪里"),
    ("再哪", "在哪"),
    ("正件", "证件"),
    ("手序", "手续"),
    ("身请", "申请"),
    ("条见", "条件"),
    ("投述", "投诉"),
    ("投素", "投诉"),
    ("资询", "咨询"),
    ("咨讯", "咨询"),
)


def heard_as_meant(text: str) -> str:
    """``text`` with the misheard forms of the asks' words read back (哪理 → 哪里, 材了 → 材料)."""
    for heard, meant in HEARD:
        text = text.replace(heard, meant)
    return text


def asked_aspect(question: str) -> str | None:
    """The aspect a question asks about, or None when it does not say. Read from the normalised
    question (full-width, traditional characters), fillers kept ("那个部门" is 哪个部门 misheard), with
    misheard words read back (``HEARD``).

    >>> asked_aspect("律师执业变更找谁审核"), asked_aspect("網上能辦嗎"), asked_aspect("备案要啥材了")
    ('department', 'online', 'materials')
    """
    text = heard_as_meant(normalize(question))
    for aspect, pattern in ASPECT_PATTERNS:
        if pattern.search(text):
            return aspect
    return None
