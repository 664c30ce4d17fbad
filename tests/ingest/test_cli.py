"""`lianxin ingest` against a real, separately migrated database (each import commits for real)."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from kb import service as kb_service
from kb.models import Entry
from tests.ingest.conftest import gd_item, good_row, write_jsonl, write_xlsx

KEYS = {"created", "updated", "unchanged", "rejected", "errors"}


@pytest.fixture
def cli(fresh_db, monkeypatch):
    monkeypatch.setenv("LIANXIN_DATABASE_URL", fresh_db.url)
    from kb.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, list(args))
        return result, (json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None)

    yield run
    get_settings.cache_clear()


def _entries(fresh_db) -> int:
    with Session(fresh_db.engine) as s:
        return s.scalar(select(func.count(Entry.id))) or 0


def test_json_report_is_one_object_and_second_run_changes_nothing(cli, fresh_db, tmp_path):
    path = write_jsonl(tmp_path / "gd.jsonl", [gd_item("P1", "甲事项"), gd_item("C1", "甲事项", "市级")])
    result, report = cli("ingest", "gd_matters", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert set(report) == KEYS and report["created"] == 12 and report["errors"] == []
    assert len(result.stdout.strip().splitlines()) == 1
    result, report = cli("ingest", "gd_matters", str(path), "--json")
    assert report == {"created": 0, "updated": 0, "unchanged": 12, "rejected": 0, "errors": []}


def test_bad_rows_exit_1_and_write_nothing_unless_good_rows_only(cli, fresh_db, tmp_path):
    cli("init")
    with Session(fresh_db.engine) as s:
        kb_service.ensure_source(session=s, code="ts", name="天水", tier="city", region_code="620500")
        s.commit()
    path = write_xlsx(
        tmp_path / "s.xlsx", [good_row(1), good_row(2, 地区="火星市"), good_row(3, 生效日期="13/13/2024")]
    )
    result, report = cli("ingest", "qa_sheet", str(path), "--source", "ts", "--json")
    assert result.exit_code == 1
    assert report["rejected"] == 2 and report["created"] == 0
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "地区"), (4, "生效日期")]
    assert all(set(e) == {"row", "field", "problem", "fix"} for e in report["errors"])
    assert _entries(fresh_db) == 0
    result, report = cli("ingest", "qa_sheet", str(path), "--source", "ts", "--json", "--good-rows-only")
    assert result.exit_code == 0 and (report["created"], report["rejected"]) == (1, 2)
    assert _entries(fresh_db) == 1


def test_dry_run_writes_nothing(cli, fresh_db, tmp_path):
    path = write_jsonl(tmp_path / "gd.jsonl", [gd_item("P1", "甲事项")])
    result, report = cli("ingest", "gd_matters", str(path), "--json", "--dry-run")
    assert result.exit_code == 0 and report["created"] == 6
    assert _entries(fresh_db) == 0


def test_unusable_file_and_options_exit_2_with_a_reason(cli, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_bytes(b"")
    result, report = cli("ingest", "covid_policy_qa", str(empty), "--json")
    assert result.exit_code == 2
    assert (
        set(report) == KEYS
        and report["errors"][0]["row"] is None
        and "empty" in report["errors"][0]["problem"]
    )
    result, _ = cli("ingest", "qa_sheet", str(empty))
    assert result.exit_code == 2 and "--source" in result.output
    result, _ = cli("ingest", "pdf_files", str(empty))
    assert result.exit_code == 2 and "unknown source type" in result.output
    result, _ = cli("ingest", "qa_sheet", str(tmp_path / "missing.xlsx"), "--source", "nope")
    assert result.exit_code == 2 and "nope" in result.output


def test_new_source_from_options_and_draft_status(cli, fresh_db, tmp_path):
    cli("init")
    path = write_xlsx(tmp_path / "s.xlsx", [good_row(1)])
    result, report = cli(
        "ingest",
        "qa_sheet",
        str(path),
        "--source",
        "ts-hrss",
        "--tier",
        "department",
        "--source-name",
        "天水市人社局",
        "--source-region",
        "620500",
        "--status",
        "draft",
        "--json",
    )
    assert result.exit_code == 0 and report["created"] == 1, result.output
    with Session(fresh_db.engine) as s:
        e = s.scalars(select(Entry)).one()
        assert e.status == "draft" and e.source.tier == "department"


def test_template_command_writes_the_template(cli, tmp_path):
    out = tmp_path / "t.xlsx"
    result, _ = cli("ingest-template", str(out))
    assert result.exit_code == 0
    assert load_workbook(out).worksheets[0]["A1"].value == "问题"
