"""Chat sessions in the database: turns, region from the session, clarify choices, drafts → tickets."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from assistant import chat
from assistant.errors import ChatNotFound, DraftNotFound
from assistant.flows import extract_fields
from tests.assistant import demo_kb as demo_fixtures
from tests.assistant.demo_kb import DemoKB

demo_kb, demo_session = demo_fixtures.demo_kb, demo_fixtures.demo_session  # the shared fixtures

pytestmark = pytest.mark.db


def test_turns_are_stored_masked_and_region_comes_from_the_session(
    demo_kb: DemoKB, demo_session: Session
) -> None:
    c = chat.open_session(session=demo_session, owner="citizen-1", region_code="620100")
    r = chat.turn(
        session=demo_session, engine=demo_kb.engine, chat=c, message="城乡居民养老保险在哪里参保登记"
    )
    assert r.decision.decision == "answer"
    assert r.decision.entry_external_key == "demo:demo_lanzhou_12345:1"  # 兰州 session, 兰州 entry
    chat.turn(session=demo_session, engine=demo_kb.engine, chat=c, message="我的电话13912345678")
    turns = chat.transcript(session=demo_session, chat=c)
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert all("13912345678" not in t["text"] for t in turns)
    assert turns[1]["decision"] == "answer" and turns[1]["entry_id"] is not None


def test_sessions_belong_to_their_owner(demo_session: Session) -> None:
    c = chat.open_session(session=demo_session, owner="citizen-1", region_code=None)
    assert chat.get(session=demo_session, chat_id=c.id, owner="citizen-1") is c
    with pytest.raises(ChatNotFound):
        chat.get(session=demo_session, chat_id=c.id, owner="citizen-2")
    with pytest.raises(ChatNotFound):
        chat.get(session=demo_session, chat_id="no-such-session", owner="citizen-1")


def test_follow_up_uses_the_history(demo_kb: DemoKB, demo_session: Session) -> None:
    c = chat.open_session(session=demo_session, owner="citizen-1", region_code="620000")
    chat.turn(session=demo_session, engine=demo_kb.engine, chat=c, message="城乡居民养老保险在哪里参保登记")
    r = chat.turn(session=demo_session, engine=demo_kb.engine, chat=c, message="那每年什么时候缴费呢")
    assert r.decision.query.startswith("城乡居民养老保险")


def test_clarify_choice_answers_the_chosen_entry(demo_kb: DemoKB, demo_session: Session) -> None:
    from assistant.models import ChatTurn

    c = chat.open_session(session=demo_session, owner="citizen-1", region_code="620000")
    chat.turn(session=demo_session, engine=demo_kb.engine, chat=c, message="养老保险")
    # make the last reply a clarify turn over two real entries, whatever the calibration decided
    last = demo_session.query(ChatTurn).filter_by(session_id=c.id, role="assistant").one()
    from kb import service as kb_service

    e1 = kb_service.get_by_external_key(session=demo_session, external_key="demo:demo_gansu_12345:1")
    e2 = kb_service.get_by_external_key(session=demo_session, external_key="demo:demo_gansu_12345:2")
    last.decision = "clarify"
    last.payload = {
        "candidates": [
            {"entry_id": e1.id, "external_key": e1.external_key, "question": e1.question},
            {"entry_id": e2.id, "external_key": e2.external_key, "question": e2.question},
        ]
    }
    demo_session.flush()
    r = chat.turn(session=demo_session, engine=demo_kb.engine, chat=c, message="第二个")
    assert r.decision.decision == "answer" and r.decision.entry_id == e2.id
    assert r.decision.answer == e2.answer


def test_escalation_draft_is_confirmed_into_a_ticket_with_transcript(
    demo_kb: DemoKB, demo_session: Session
) -> None:
    from tickets.models import Ticket

    c = chat.open_session(session=demo_session, owner="citizen-1", region_code="620102")
    with pytest.raises(DraftNotFound):
        chat.confirm(session=demo_session, chat=c, actor="citizen-1")
    r = chat.turn(
        session=demo_session,
        engine=demo_kb.engine,
        chat=c,
        message="我要投诉，幸福小区3号楼门口的路灯坏了一个月了，晚上好几个老人摔倒，电话13912345678",
    )
    assert r.decision.decision == "escalate"
    draft = r.decision.ticket_draft
    assert draft["location"].startswith("幸福小区") and draft["contact"] == "139****5678"
    assert "13912345678" not in draft["content"]
    ticket = chat.confirm(session=demo_session, chat=c, actor="citizen-1", caller_phone="13912345678")
    assert isinstance(ticket, Ticket) and ticket.id and ticket.region_code == "620102"
    assert ticket.transcript[0]["role"] == "user" and "139****5678" in ticket.transcript[0]["text"]
    assert c.ticket_id == ticket.id
    # a retried confirmation returns the same ticket
    assert chat.confirm(session=demo_session, chat=c, actor="citizen-1").id == ticket.id
    assert demo_session.query(Ticket).count() == 1


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("幸福小区门口的路灯坏了", "location", "幸福小区"),
        ("昨天晚上十点工地还在施工", "time", "昨天晚上"),
        ("我们这栋楼三十户人家停水两天了", "people_affected", 30),
        ("联系我13912345678", "contact", "139****5678"),
    ],
)
def test_ticket_fields_by_rules(text: str, field: str, value: object) -> None:
    got = extract_fields(text)[field]
    assert got == value or (isinstance(got, str) and isinstance(value, str) and got.startswith(value))


def test_draft_fields_come_from_the_llm_or_fall_back_to_rules() -> None:
    from assistant.flows import draft_ticket
    from assistant.llm import LLMClient
    from tests.fakellm import FakeLLM

    text = "幸福小区门口的路灯坏了一个星期，电话13912345678"
    with FakeLLM() as fake:
        llm = LLMClient(base_url=fake.base_url, model="fake", timeout_s=2)
        good = draft_ticket(text=text, region="620102", llm=llm)
        fake.always = "not_json"
        bad = draft_ticket(text=text, region="620102", llm=llm)
    assert good["fields_by"] == "llm" and good["location"] == "幸福小区"
    assert bad["fields_by"] == "rules" and bad["location"].startswith("幸福小区")
    assert good["contact"] == bad["contact"] == "139****5678"
    assert "13912345678" not in fake.received_text()
