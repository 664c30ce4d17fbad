"""Citizen chat: sessions kept in the database, one decision per turn, drafts confirmed into tickets.

A session belongs to the principal that opened it and carries the asker's region, so later turns
are answered for that jurisdiction. Turns store the citizen's text masked (phone and ID numbers),
which is also what the ticket transcript receives. Nothing here commits: the caller owns the
transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.answer import Decision, answer_entry, decide
from assistant.calibration import Calibrator
from assistant.errors import ChatNotFound, DraftNotFound
from assistant.flows import create_ticket_from_draft
from assistant.models import ChatSession, ChatTurn
from assistant.safety import mask, normalise
from kb import service as kb_service

if TYPE_CHECKING:
    from assistant.llm import LLMClient
    from retrieval import SearchEngine
    from tickets.models import Ticket

HISTORY_TURNS = 4
_CHOICE = re.compile(r"^\s*(?:第)?([1-4一二三四])(?:个|条|项)?\s*[。.!！]?\s*$")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4}


@dataclass
class TurnResult:
    chat: ChatSession
    decision: Decision
    user_turn: ChatTurn
    assistant_turn: ChatTurn

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.chat.id,
            "turn": self.assistant_turn.seq,
            "reply": self.decision.reply,
            **self.decision.public(),
            "candidates": self.decision.candidates,
        }


def open_session(
    *, session: Session, owner: str, region_code: str | None, channel: str = "web"
) -> ChatSession:
    """Start a conversation for ``owner`` in ``region_code`` (checked against the region table)."""
    if region_code:
        kb_service.require_region(session=session, code=region_code)
    chat = ChatSession(id=secrets.token_urlsafe(24), owner=owner, region_code=region_code, channel=channel)
    session.add(chat)
    session.flush()
    return chat


def get(*, session: Session, chat_id: str, owner: str) -> ChatSession:
    """The owner's session; ChatNotFound for an unknown id and for someone else's (no existence leak)."""
    chat = session.get(ChatSession, chat_id)
    if chat is None or chat.owner != owner:
        raise ChatNotFound(f"no chat session {chat_id[:12]!r} for you: start a new one without session_id")
    return chat


def _add(session: Session, chat: ChatSession, role: str, text: str, **fields: Any) -> ChatTurn:
    last = session.scalars(
        select(ChatTurn.seq).where(ChatTurn.session_id == chat.id).order_by(ChatTurn.seq.desc()).limit(1)
    ).first()
    t = ChatTurn(session_id=chat.id, seq=(last or 0) + 1, role=role, text=text, **fields)
    session.add(t)
    session.flush()
    return t


def _turns(session: Session, chat: ChatSession) -> list[ChatTurn]:
    return list(
        session.scalars(select(ChatTurn).where(ChatTurn.session_id == chat.id).order_by(ChatTurn.seq))
    )


def _chosen(message: str, previous: ChatTurn | None) -> dict[str, Any] | None:
    """The candidate a citizen picked after a clarify turn ("2", "第二个", or its question)."""
    if previous is None or previous.decision != "clarify":
        return None
    candidates = previous.payload.get("candidates") or []
    m = _CHOICE.match(message)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _CN[m.group(1)]
        return candidates[n - 1] if 1 <= n <= len(candidates) else None
    return next((c for c in candidates if c["question"] == message.strip()), None)


def turn(
    *,
    session: Session,
    engine: SearchEngine,
    chat: ChatSession,
    message: str | bytes,
    llm: LLMClient | None = None,
    classifier: Any = None,
    calibrator: Calibrator | None = None,
) -> TurnResult:
    """One citizen message and the assistant's reply, both stored."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    message = message or ""
    # the stored text is masked and capped: a 10,000-character paste is kept whole in the ticket draft only
    stored = mask(normalise(message))[:4000]  # no control characters: PostgreSQL text refuses NUL
    previous = _turns(session, chat)
    last_assistant = next((t for t in reversed(previous) if t.role == "assistant"), None)
    history = [t.text for t in previous if t.role == "user"][-HISTORY_TURNS:]
    user_turn = _add(session, chat, "user", stored)

    decision: Decision | None = None
    choice = _chosen(message, last_assistant)
    if choice is not None:
        entry = kb_service.get(session=session, entry_id=choice["entry_id"])
        if (
            entry is not None
            and entry.kind == "qa"
            and entry.status == "published"
            and entry.valid_on(date.today())
        ):
            decision = answer_entry(
                entry,
                last_assistant.confidence or 0.0 if last_assistant else 0.0,
                reason="citizen chose this candidate",
                query=entry.question,
            )
    if decision is None:
        decision = decide(
            engine=engine,
            question=message,
            region=chat.region_code,
            session=session,
            history=history,
            llm=llm,
            calibrator=calibrator,
            classifier=classifier,
        )
    payload = {
        "reply": decision.reply,
        "reason": decision.reason,
        "query": mask(decision.query)[:500],
        "citations": decision.citations,
        "candidates": decision.candidates,
        "ticket_draft": decision.ticket_draft,
    }
    assistant_turn = _add(
        session,
        chat,
        "assistant",
        decision.reply,
        decision=decision.decision,
        entry_id=decision.entry_id,
        confidence=decision.confidence,
        payload=payload,
    )
    return TurnResult(chat, decision, user_turn, assistant_turn)


def transcript(*, session: Session, chat: ChatSession) -> list[dict[str, Any]]:
    """The conversation as stored (masked), oldest first."""
    return [
        {
            "seq": t.seq,
            "role": t.role,
            "text": t.text,
            "decision": t.decision,
            "entry_id": t.entry_id,
            "at": t.created_at.isoformat(),
        }
        for t in _turns(session, chat)
    ]


def confirm(
    *,
    session: Session,
    chat: ChatSession,
    actor: str,
    caller_phone: str | None = None,
    caller_name: str | None = None,
) -> Ticket:
    """Create the ticket of the session's latest draft, with the transcript (retry-safe: once per draft)."""
    draft_turn = next(
        (
            t
            for t in reversed(_turns(session, chat))
            if t.role == "assistant" and t.payload.get("ticket_draft")
        ),
        None,
    )
    if draft_turn is None:
        raise DraftNotFound("this conversation has no ticket draft to confirm: describe the problem first")
    if (done := draft_turn.payload.get("ticket_id")) is not None:
        from tickets.models import Ticket

        existing = session.get(Ticket, done)
        if existing is not None:  # a retried confirmation: the same ticket, not a second one
            return existing
    ticket = create_ticket_from_draft(
        session=session,
        draft=draft_turn.payload["ticket_draft"],
        transcript=transcript(session=session, chat=chat),
        actor=actor,
        channel=chat.channel,
        caller_phone=caller_phone,
        caller_name=caller_name,
        idempotency_key=f"chat:{chat.id}:{draft_turn.seq}",
    )
    draft_turn.payload = {**draft_turn.payload, "ticket_id": ticket.id}
    chat.ticket_id = ticket.id
    _add(
        session,
        chat,
        "assistant",
        f"您的诉求已提交，工单编号 {ticket.id}，我们会尽快转交相关部门办理。",
        payload={"ticket_id": ticket.id},
    )
    return ticket
