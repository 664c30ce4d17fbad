"""Work that spans domains: a citizen's request becomes a ticket draft, a confirmed draft a ticket.

The draft is built from the message (and the chat so far): the fields a dispatcher needs
(location, time, contact, what is asked, how many people) are extracted by rules, or by the LLM
when one is configured and its output passes the checks; the classifier, when loaded, suggests
category, department and urgency. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from assistant.errors import DraftNotFound, LLMUnavailable
from assistant.safety import mask
from kb import service as kb_service

if TYPE_CHECKING:
    from assistant.llm import LLMClient
    from tickets.models import Ticket

log = logging.getLogger(__name__)

_LOCATION = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?(?:小区|社区|街道|大街|路|街|巷|村|镇|乡|广场|市场|公园|学校|医院|号楼|单元)"
    r"(?:[\u4e00-\u9fa50-9]{0,6}?(?:号|栋|楼|门口|附近|旁边))?"
)
_TIME = re.compile(
    r"(?:今天|昨天|前天|今晚|昨晚|刚才|最近|这几天|这两天|上周|上个月|本月|这个月|去年|今年|每天|天天|一直|半夜|凌晨|早上|中午|晚上)"
    r"(?:[\u4e00-\u9fa5]{0,2}?[0-9一二三四五六七八九十两]+(?:点|时|天|个月|年|周))?"
    r"|[0-9一二三四五六七八九十两]+(?:个)?(?:天|周|星期|个月|年)(?:了|多)?|[0-9]{1,2}[:：点][0-9]{0,2}分?"
)
_PEOPLE = re.compile(r"([0-9]+|[一二三四五六七八九十两几百千]+)(?:多)?(?:个人|个|人|户|家|名)")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def _people(text: str) -> int | None:
    m = _PEOPLE.search(text)
    if not m:
        return None
    n = m.group(1)
    if n.isdigit():
        return int(n)
    if n in _CN_DIGITS:
        return _CN_DIGITS[n]
    if len(n) == 2 and n[0] == "十" and n[1] in _CN_DIGITS:
        return 10 + _CN_DIGITS[n[1]]
    if len(n) >= 2 and n[1] == "十" and n[0] in _CN_DIGITS:
        return _CN_DIGITS[n[0]] * 10 + (_CN_DIGITS.get(n[2], 0) if len(n) > 2 else 0)
    return None  # 几十, 好几百: vague, a human reads the text


def extract_fields(text: str) -> dict[str, Any]:
    """Location, time, contact (masked), request and people affected, by rules."""
    loc = _LOCATION.search(text)
    when = _TIME.search(text)
    phone = _PHONE.search(text)
    request = re.split(r"[。！？!?]", text.strip())[-1] or text.strip()
    return {
        "location": loc.group(0) if loc else None,
        "time": when.group(0) if when else None,
        "contact": mask(phone.group(0)) if phone else None,
        "request": mask(request)[:200],
        "people_affected": _people(text),
    }


def draft_ticket(
    *,
    text: str,
    region: str | None,
    history: Sequence[str] = (),
    llm: LLMClient | None = None,
    classifier: Any = None,
    session: Session | None = None,
    urgent: bool = False,
    reason: str = "",
) -> dict[str, Any]:
    """A ticket draft for the citizen to confirm: masked content plus suggested fields."""
    content = mask("\n".join([*history, text]) if history else text)
    fields = extract_fields(text)
    fields_by = "rules"
    if llm is not None:
        try:
            extracted = llm.extract_ticket(text=text)
        except LLMUnavailable as exc:
            log.info("LLM ticket extraction failed, using rules: %s", exc)
        else:
            # the LLM may fill what the rules missed; it never overrides the contact found verbatim
            for key in ("location", "time", "request", "people_affected"):
                if extracted.get(key) is not None:
                    fields[key] = extracted[key]
            fields_by = "llm"
    draft: dict[str, Any] = {
        "content": content[:10_000],
        "region_code": region,
        **fields,
        "fields_by": fields_by,
        "urgent": urgent,
        "category": None,
        "department": None,
        "reason": reason,
    }
    if classifier is not None:
        region_row = (
            kb_service.get_region(session=session, code=region) if session is not None and region else None
        )
        c = classifier.classify(text, region_name=region_row.name if region_row else None)
        draft["category"] = "/".join(x for x in (c.category_l1, c.category_l2, c.category_l3) if x) or None
        draft["department"] = c.department
        draft["urgent"] = urgent or bool(c.urgent)
        draft["classification"] = {
            "category_l1": c.category_l1,
            "category_l2": c.category_l2,
            "category_l3": c.category_l3,
            "sentiment": c.sentiment,
            "confidence": c.confidence,
            "needs_review": c.needs_review,
            "category_by": c.category_by,
            "error": c.error,
        }
    return draft


def create_ticket_from_draft(
    *,
    session: Session,
    draft: dict[str, Any],
    transcript: list[dict[str, Any]],
    actor: str,
    channel: str = "web",
    caller_phone: str | None = None,
    caller_name: str | None = None,
    idempotency_key: str | None = None,
) -> Ticket:
    """Create the ticket a citizen confirmed, through the tickets service, with the chat transcript."""
    from tickets import service as tickets_service
    from tickets.schemas import TicketCreate

    if not draft or not draft.get("content"):
        raise DraftNotFound("there is no ticket draft to confirm: describe the problem first")
    suggestion = {
        k: draft.get(k)
        for k in (
            "location",
            "time",
            "contact",
            "request",
            "people_affected",
            "department",
            "classification",
            "reason",
        )
        if draft.get(k) is not None
    }
    ticket_in = TicketCreate(
        channel=channel,  # type: ignore[arg-type]
        content=draft["content"],
        caller_name=caller_name,
        caller_phone=caller_phone,
        region_code=draft.get("region_code"),
        category=draft.get("category"),
        department=draft.get("department"),
        urgent=bool(draft.get("urgent")),
        transcript=transcript,
        suggestion=suggestion,
        idempotency_key=idempotency_key,
    )
    return tickets_service.create(session=session, ticket_in=ticket_in, actor=actor)
