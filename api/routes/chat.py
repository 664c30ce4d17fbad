"""Citizen chat: POST /chat (JSON or SSE), read a session, confirm its ticket draft."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from api import errors
from api.auth import Principal
from api.deps import SessionDep, require_role
from assistant import chat as chat_service
from assistant.errors import ChatNotFound, DraftNotFound

router = APIRouter(prefix="/chat", tags=["chat"])
errors.register(ChatNotFound, 404)
errors.register(DraftNotFound, 409)

Chatter = Annotated[Principal, Depends(require_role("citizen", "agent", "admin"))]
# Long pastes are accepted and cut by the assistant, so a citizen never loses a message to a 422;
# beyond this the request is refused as abuse.
MAX_BODY_CHARS = 20_000


class ChatIn(BaseModel):
    message: str = Field(default="", max_length=MAX_BODY_CHARS, description="the citizen's message")
    session_id: str | None = Field(default=None, max_length=64, description="continue this conversation")
    region: str | None = Field(default=None, max_length=12, description="asker's region (new sessions)")
    stream: bool = Field(default=False, description="reply as server-sent events")


class ConfirmIn(BaseModel):
    caller_phone: str | None = Field(default=None, max_length=32, description="for the callback")
    caller_name: str | None = Field(default=None, max_length=64)


def _engine(request: Request) -> Any:
    engine = getattr(request.app.state, "search_engine", None)
    if engine is None:
        raise HTTPException(503, detail="the search index is still loading: try again in a minute")
    return engine


async def load_assistant(app: FastAPI) -> None:
    """Startup hook: the optional LLM client, the ticket classifier for drafts and its urgency backstop (the search
    engine comes from the search routes' hook)."""
    from assistant.llm import LLMClient

    app.state.llm = LLMClient.from_settings(app.state.settings.llm)
    if app.state.llm is not None:
        app.state.closers.append(app.state.llm.close)
    if getattr(app.state, "classifier", None) is None:
        from assistant.classify import classifier_from_settings

        app.state.classifier = await asyncio.to_thread(
            classifier_from_settings, app.state.settings, llm=app.state.llm
        )
    from assistant.urgency import learned_score

    # the urgency backstop fits once per process (about a second): here, not on the first ticket
    await asyncio.to_thread(learned_score, "预热")


@router.post("")
async def post_chat(body: ChatIn, request: Request, session: SessionDep, principal: Chatter) -> Any:
    """One message. A new conversation starts without ``session_id``; its region is the body's
    ``region`` or the caller's own. With ``stream``, the reply arrives as SSE: ``session``, ``delta``
    chunks, then ``decision`` (the full JSON) and ``done``."""
    engine = _engine(request)
    if body.session_id:
        chat = chat_service.get(session=session, chat_id=body.session_id, owner=principal.name)
    else:
        chat = chat_service.open_session(
            session=session, owner=principal.name, region_code=body.region or principal.region_code
        )
    result = chat_service.turn(
        session=session,
        engine=engine,
        chat=chat,
        message=body.message,
        llm=getattr(request.app.state, "llm", None),
        classifier=getattr(request.app.state, "classifier", None),
    )
    out = result.to_json()
    if not body.stream:
        return out
    # the turn is stored before the first byte goes out: a dropped stream loses nothing
    session.commit()
    return EventSourceResponse(_events(out))


async def _events(out: dict[str, Any]) -> AsyncIterator[dict[str, str]]:
    yield {"event": "session", "data": json.dumps({"session_id": out["session_id"]})}
    reply = out.get("reply") or ""
    for i in range(0, len(reply), 24):
        yield {"event": "delta", "data": json.dumps({"text": reply[i : i + 24]}, ensure_ascii=False)}
    yield {"event": "decision", "data": json.dumps(out, ensure_ascii=False)}
    yield {"event": "done", "data": "{}"}


@router.get("/{session_id}")
def read_chat(session_id: str, session: SessionDep, principal: Chatter) -> dict[str, Any]:
    """The conversation so far (masked), for its owner only."""
    chat = chat_service.get(session=session, chat_id=session_id, owner=principal.name)
    return {
        "session_id": chat.id,
        "region_code": chat.region_code,
        "ticket_id": chat.ticket_id,
        "turns": chat_service.transcript(session=session, chat=chat),
    }


@router.post("/{session_id}/confirm", status_code=201)
def confirm_draft(
    session_id: str, body: ConfirmIn, session: SessionDep, principal: Chatter
) -> dict[str, Any]:
    """Turn the conversation's ticket draft into a ticket, with the transcript attached."""
    chat = chat_service.get(session=session, chat_id=session_id, owner=principal.name)
    ticket = chat_service.confirm(
        session=session,
        chat=chat,
        actor=principal.name,
        caller_phone=body.caller_phone,
        caller_name=body.caller_name,
    )
    return {"ticket_id": ticket.id, "status": ticket.status, "urgent": ticket.urgent, "session_id": chat.id}
