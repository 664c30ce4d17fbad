"""The CLI against a real, separately migrated database (commands commit for real)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app
from kb import service as kb_service
from kb.db import make_sessionmaker, transaction
from kb.schemas import EntryCreate


def test_init_and_kb_stats_json(fresh_db, monkeypatch):
    monkeypatch.setenv("LIANXIN_DATABASE_URL", fresh_db.url)
    from kb.config import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["init"]).exit_code == 0
        with transaction(make_sessionmaker(fresh_db.engine)) as s:
            kb_service.ensure_source(
                session=s, code="demo-src", name="演示", tier="province", region_code="620000"
            )
            for i in range(3):
                kb_service.create(
                    session=s,
                    entry_in=EntryCreate(
                        question=f"问{i}",
                        answer="答",
                        source_code="demo-src",
                        status="published" if i else "draft",
                    ),
                )
        r = runner.invoke(app, ["kb", "stats", "--json"])
        assert r.exit_code == 0, r.output
        stats = json.loads(r.stdout)
        assert stats["entries"] == 3
        assert stats["by_source"] == {"demo-src": 3}
        assert stats["by_status"] == {"published": 2, "draft": 1}
    finally:
        get_settings.cache_clear()
