"""Wiring: the 0002 migration matches the models, the in-process sweep scheduler runs, the demo
units cover the evaluation set's departments, and the assistant-facing interface holds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from api.routes import STARTUP_HOOKS
from api.routes.tickets import start_sweeper
from kb.db import Base
from tickets import service
from tickets.schemas import TicketCreate
from tickets.service import _demo_departments


def test_migration_0002_matches_the_ticket_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "ticket" in str(d)] == []


def test_demo_departments_are_the_evaluation_sets_22(shared_dir):
    listed = [
        line.strip()
        for line in (shared_dir / "eval" / "department.txt").read_text("utf-8").splitlines()
        if line.strip()
    ]
    assert _demo_departments()["departments"] == listed and len(listed) == 22


def test_in_process_scheduler_sweeps_overdue_tickets(fresh_db, monkeypatch):
    from api.app import create_app
    from kb.config import Settings

    with Session(fresh_db.engine) as s:
        t = service.create(
            session=s,
            ticket_in=TicketCreate(channel="web", content="井盖缺失", region_code="620102"),
            actor="t",
        )
        t.dispatch_due = t.received_at - timedelta(minutes=1)
        s.commit()
        tid = t.id
    monkeypatch.setenv("LIANXIN_TICKETS_SWEEP_SECONDS", "0.2")
    app = create_app(Settings(env="test", database_url=fresh_db.url), warm=False)
    assert start_sweeper in STARTUP_HOOKS

    async def run() -> None:
        await start_sweeper(app)  # what the lifespan does with warm=True, without the other hooks
        try:
            for _ in range(200):
                await asyncio.sleep(0.1)
                with Session(fresh_db.engine) as s:
                    if s.get(service.Ticket, tid).overdue:
                        return
        finally:
            for close in app.state.closers:
                close()

    asyncio.run(run())
    with Session(fresh_db.engine) as s:
        t = s.get(service.Ticket, tid)
        assert t.overdue and t.overdue_stages == ["dispatch"] and t.reminder_count == 1


def test_assistant_interface_create_and_find_unit(session, units):
    """The contract in notes/interfaces.md: create(*, session, ticket_in, actor) and find_unit(...)."""
    unit = service.find_unit(session=session, department="市医疗保障局", region_code="620503")
    assert unit is not None and unit.region_code == "620500"
    t = service.create(
        session=session,
        ticket_in=TicketCreate(channel="wechat", content="医保报销进度", region_code="620503", category="医保",
                               urgent=False, transcript=[{"role": "user", "content": "医保报销多久到账"}],
                               department="市医疗保障局", idempotency_key="chat-42-turn-3"),
        actor="assistant",
    )  # fmt: skip
    assert t.status == "received" and t.suggestion["department"] == "市医疗保障局"
    t = service.act(session=session, ticket_id=t.id, action="dispatch", data=service.ActionIn(version=t.version),
                    actor="agent", role="agent")  # fmt: skip
    assert t.lead_unit_id == unit.id
