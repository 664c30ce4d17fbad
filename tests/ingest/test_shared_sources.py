"""Done-when check: the shared sources through `lianxin ingest --json`, twice, on a real committed database."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from kb.models import Entry, Source
from tests.ingest.conftest import expected_entries


@pytest.mark.slow
def test_ingest_all_shared_sources_twice(fresh_db, shared_dir, monkeypatch):
    monkeypatch.setenv("LIANXIN_DATABASE_URL", fresh_db.url)
    from kb.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    data = shared_dir / "data"
    covid = data / "covid_policy_qa/NCPPolicies_train_20200301.tsv"
    gd = data / "gd_matters/policy.jsonl"
    cases_csv = data / "gov_messages/csv/附件4_messages_with_official_replies.csv"
    cases_xlsx = data / "gov_messages/original/附件4_messages_with_official_replies.xlsx"

    def ingest(*args: str) -> tuple[int, dict]:
        r = runner.invoke(app, ["ingest", *args, "--json"])
        return r.exit_code, json.loads(r.stdout)

    try:
        gd_items = [json.loads(x) for x in gd.read_text(encoding="utf-8").splitlines() if x.strip()]
        with cases_csv.open(encoding="utf-8-sig", newline="") as f:
            messages = dict(enumerate(csv.DictReader(f), 2))

        code, r = ingest("covid_policy_qa", str(covid))
        assert code == 0 and (r["created"], r["rejected"]) == (5000, 0)
        code, r = ingest("gd_matters", str(gd))
        assert code == 0 and r["rejected"] == 0 and r["created"] == expected_entries(gd_items)
        # the cases file holds acknowledgement-only replies: all-or-nothing refuses it, naming each row
        code, refused = ingest("gov_messages_cases", str(cases_csv))
        assert code == 1 and refused["created"] == 0 and refused["rejected"] > 0
        code, r = ingest("gov_messages_cases", str(cases_csv), "--good-rows-only")
        assert code == 0 and r["errors"] == refused["errors"]
        assert r["created"] + r["rejected"] == len(messages)
        for e in r["errors"]:
            assert e["field"] == "答复意见" and e["problem"] and e["fix"]
            assert len(messages[e["row"]]["答复意见"]) < 40, e
        # the original workbook holds the same rows: nothing new
        code, r = ingest("gov_messages_cases", str(cases_xlsx), "--good-rows-only")
        assert code == 0 and (r["created"], r["updated"]) == (0, 0) and r["rejected"] == refused["rejected"]

        for args in (["covid_policy_qa", str(covid)], ["gd_matters", str(gd)]):
            code, r = ingest(*args)
            assert (
                code == 0 and (r["created"], r["updated"], r["rejected"]) == (0, 0, 0) and r["unchanged"] > 0
            )
        code, r = ingest("gov_messages_cases", str(cases_csv), "--good-rows-only")
        assert (r["created"], r["updated"]) == (0, 0)

        with Session(fresh_db.engine) as s:
            counts = dict(
                s.execute(select(Source.code, func.count(Entry.id)).join(Entry).group_by(Source.code)).all()
            )
            kinds = dict(s.execute(select(Entry.kind, func.count(Entry.id)).group_by(Entry.kind)).all())
        assert counts["covid_policy_qa"] == 5000
        assert counts["gd_matters"] == expected_entries(gd_items)
        assert kinds["case"] == counts["gov_messages"] == len(messages) - refused["rejected"]
    finally:
        get_settings.cache_clear()
