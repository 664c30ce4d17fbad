"""Ticket drafting: pull the fields an agent fills in out of a caller's words.

Location (street, community, village), time, contact (masked), what is asked, and how many people
are affected. Rules over the text: they run without an LLM, and the optional LLM extraction in
assistant/llm.py is checked against them. Phone and ID numbers never leave this module unmasked.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from tickets.privacy import mask_text

# ---------------------------------------------------------------- contact masking

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-]?(\d{3,4})(\d{4})(?!\d)")


def mask_contacts(text: str) -> str:
    """Mask ID card, mobile and landline numbers (tickets.privacy's one rule): 13812345678 → 138****5678.

    >>> mask_contacts("电话13812345678")
    '电话138****5678'
    """
    return mask_text(text)


def find_contact(text: str) -> str | None:
    """The first phone number in the text, masked."""
    m = _MOBILE.search(text) or _LANDLINE.search(text)
    return mask_contacts(re.sub(r"[\s-]", "", m.group(0))) if m else None


# ---------------------------------------------------------------- location

_SUFFIX = r"(?:省|市|区|县|旗|镇|乡|街道|村|社区|小区|花园|家园|苑|府|大厦|广场|园区|工业园|路|街|大道|巷|胡同|号楼|号院|号|单元|栋|组)"
_PLACE = re.compile(rf"(?:[\u4e00-\u9fa5A-Za-z0-9]{{1,6}}?{_SUFFIX})+")
# characters that cannot sit inside a place name: the name starts after the last of them
_BOUNDARY = re.compile(
    r".*(?:的|在|为|其|称|反映|由|向|购买|家住|住在|居住|入住|所在|后|到|从|是|了|及|电话|身份证|对|将|把|被|给|跟|往|去|来电人|哪|冲毁|[*])"
)
_FALSE_PLACE = re.compile(r"^(?:一直|多次|物业|小区物业|街道办|社区|小区|村|号|组|市|区|县)$")


def find_location(text: str) -> str | None:
    """The longest street / community / village mention, e.g. 城关区雁滩路馨和苑小区."""
    best = None
    for m in _PLACE.finditer(text):
        span = _BOUNDARY.sub("", m.group(0)).lstrip("0123456789")
        if len(span) < 3 or _FALSE_PLACE.match(span):
            continue
        if best is None or len(span) > len(best):
            best = span
    return best


# ---------------------------------------------------------------- time

_TIME = re.compile(
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}[日号])?)?(?:起|以来|至今)?"
    r"|\d{1,2}月\d{1,2}[日号](?:[上下]午|晚上?|凌晨)?(?:\d{1,2}[点时](?:\d{1,2}分|半)?)?"
    r"|(?:今天|昨天|前天|今晚|昨晚|当晚|今早|每晚|每天|凌晨|上午|下午|晚上|夜间|深夜)(?:\d{1,2}[点时](?:\d{1,2}分|半)?(?:后|以后|左右)?)?"
    r"|\d{1,2}[点时](?:\d{1,2}分|半)?(?:后|以后|左右)"
    r"|(?:近|最近|已经?|已有|持续)?[一二两三四五六七八九十几半\d]+(?:个)?(?:天|周|星期|个月|月|年)(?:以来|了|多)?(?!岁)"
    r"|自\S{1,8}?(?:以来|起)"
)


def find_time(text: str) -> str | None:
    """Time expressions, in order, joined by '；' (e.g. '2023年10月；至今')."""
    found: list[str] = []
    for m in _TIME.finditer(text):
        value = m.group(0)
        if value not in found and not re.fullmatch(r"[\d一二两三四五六七八九十几半]+(?:个)?(?:天|年)", value):
            found.append(value)
    return "；".join(found[:3]) or None


# ---------------------------------------------------------------- request

_ASK = re.compile(r"(?:诉求|要求|希望|请求|请|麻烦|想|能不能|能否|可否)[：:，,]?\s*(.+?)(?:[。！？!?]|$)")


def find_request(text: str) -> str | None:
    """What the caller asks for: the 诉求 clause, else a request sentence, else the last sentence."""
    m = re.search(r"诉求[：:]\s*(.+?)(?:[。！？!?]|$)", text)
    if m:
        return m.group(1).strip()
    for sentence in reversed(re.split(r"[。！？!?\n]", text)):
        ask = _ASK.search(sentence)
        if ask and len(ask.group(1)) >= 2:
            return sentence[ask.start() :].strip()
    sentences = [s.strip() for s in re.split(r"[。！？!?\n]", text) if s.strip()]
    return sentences[-1] if sentences else None


# ---------------------------------------------------------------- people affected

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PEOPLE = re.compile(
    r"(\d+|[一二两三四五六七八九十百千几数上]+)\s*(余|多)?\s*(?:名|个|位|户)?\s*"
    r"(?:人|户|名|位|业主|工人|农民工|村民|居民|群众|学生|老人|顾客|住户|家庭|员工|职工)"
)


def chinese_number(token: str) -> int | None:
    """'二十' → 20, '三十余' handled by the caller, '上百' → 100, '十' → 10, '几十' → 20 (a floor)."""
    if token.isdigit():
        return int(token)
    if token in ("上百", "数百", "几百"):
        return 100
    if token in ("几十", "数十"):
        return 20
    if token in ("几", "数"):
        return 3
    total, current = 0, 0
    for ch in token:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return total + current or None


def find_affected(text: str) -> int | None:
    """How many people (or households) are affected: the largest count mentioned, as a floor."""
    counts = []
    for m in _PEOPLE.finditer(text):
        n = chinese_number(m.group(1))
        if n is not None and n < 1_000_000:
            counts.append(n)
    return max(counts) if counts else None


@dataclass
class TicketFields:
    location: str | None
    time: str | None
    contact: str | None  # masked
    request: str | None
    affected: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def extract(text: str) -> TicketFields:
    """All drafting fields of one caller text; every field is None where the text does not say.

    >>> extract("城关区雁滩路馨和苑小区停水两天了，电话13812345678。诉求：尽快恢复供水。").location
    '城关区雁滩路馨和苑小区'
    """
    text = (text or "")[:10_000]
    masked = mask_contacts(text)
    return TicketFields(
        location=find_location(masked),
        time=find_time(masked),
        contact=find_contact(text),
        request=find_request(masked),
        affected=find_affected(masked),
    )
