"""`lianxin calendar ...`, `lianxin tickets sweep` and `lianxin kpi --json` against a real,
separately migrated database (the commands commit for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from kb.config import get_settings
from tickets import service
from tickets.schemas import TicketCreate

LIANXIN = Path(sys.executable).parent / "lianxin"


@pytest.fixture
def cli(fresh_db, monkeypatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LIANXIN_DATABASE_URL", fresh_db.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_calendar_add_prints_exactly_the_due_key_from_the_installed_command(fresh_db):
    env = {**os.environ, "LIANXIN_DATABASE_URL": fresh_db.url}
    r = subprocess.run(
        [str(LIANXIN), "calendar", "add", "2025-09-30T10:00", "5", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"due": "2025-10-14T23:59:59+08:00"}


def test_cli_calendar_is_workday_override_and_bad_input(cli):
    assert cli.invoke(app, ["calendar", "is-workday", "2025-10-11"]).exit_code == 0  # make-up Saturday
    r = cli.invoke(app, ["calendar", "is-workday", "2025-10-08", "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout) == {"date": "2025-10-08", "workday": False}
    assert (
        cli.invoke(app, ["calendar", "override", "2025-10-08", "--workday", "--note", "test"]).exit_code == 0
    )
    assert cli.invoke(app, ["calendar", "is-workday", "2025-10-08"]).exit_code == 0
    r = cli.invoke(app, ["calendar", "add", "2025-09-30T10:00", "5", "--json"])
    assert json.loads(r.stdout) == {"due": "2025-10-13T23:59:59+08:00"}  # Oct 8 now counts
    bad = cli.invoke(app, ["calendar", "add", "30.09.2025", "5", "--json"])
    assert bad.exit_code == 2 and "ISO" in bad.stderr and bad.stdout == ""
    assert (
        "2027" in cli.invoke(app, ["calendar", "is-workday", "2027-03-01"]).stderr
    )  # no official data: warned


def test_cli_sweep_and_kpi_json(cli, fresh_db):
    with Session(fresh_db.engine) as s:
        t = service.create(
            session=s,
            ticket_in=TicketCreate(channel="web", content="噪音扰民", region_code="620102"),
            actor="t",
        )
        t.received_at = datetime.now(t.received_at.tzinfo) - timedelta(hours=2)
        t.dispatch_due = t.received_at + timedelta(hours=1)
        s.commit()
        tid = t.id
    r = cli.invoke(app, ["tickets", "sweep", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"checked": 1, "marked": 1, "reminders": 1, "tickets": [tid]}
    assert json.loads(cli.invoke(app, ["tickets", "sweep", "--json"]).stdout)["marked"] == 0
    k = json.loads(cli.invoke(app, ["kpi", "--json"]).stdout)
    assert k["overall"]["received"] == 1 and k["overall"]["overdue_by_stage"] == {"dispatch": 1}
    assert cli.invoke(app, ["kpi", "--json", "--period", "year"]).exit_code == 2
    assert cli.invoke(app, ["tickets", "seed-units"]).exit_code == 0
