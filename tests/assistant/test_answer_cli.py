"""`lianxin ask ... --json`: the machine-readable contract, from a real process over a real KB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from tests.conftest import ROOT, TestDatabase

KEYS = {"decision", "entry_external_key", "answer", "confidence", "citations", "ticket_draft"}


def run_ask(db: TestDatabase, tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": db.url,
        "LIANXIN_DATA_DIR": str(tmp_path / "var"),
        "LIANXIN_EMBEDDER__BACKEND": "none",
        "LIANXIN_LLM__BASE_URL": "",
        # no training data: the classifier runs on its keyword rules (no model trained per test)
        "LIANXIN_SHARED_DATA": str(tmp_path / "no-shared-data"),
    }
    lianxin = Path(sys.executable).parent / "lianxin"
    out = subprocess.run(
        [str(lianxin), "ask", *args, "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)


def test_ask_json_contract(fresh_db: TestDatabase, tmp_path: Path) -> None:
    from api.demo import load_demo

    with Session(fresh_db.engine) as s:
        load_demo(session=s)
        s.commit()
    got = run_ask(fresh_db, tmp_path, "城乡居民养老保险在哪里参保登记", "--region", "620100")
    assert set(got) == KEYS
    assert got["decision"] == "answer" and got["entry_external_key"] == "demo:demo_lanzhou_12345:1"
    assert got["citations"][0]["region_code"] == "620100" and got["ticket_draft"] is None
    got = run_ask(fresh_db, tmp_path, "我要投诉小区物业乱收费", "--region", "620100")
    assert set(got) == KEYS
    assert (
        got["decision"] == "escalate"
        and got["answer"] is None
        and got["ticket_draft"]["region_code"] == "620100"
    )
    # the same classifier as the API's chat fills the draft: category, department, urgency
    draft = got["ticket_draft"]
    assert draft["category"].startswith("城乡建设/") and "物业" in draft["category"]
    assert draft["department"] == "市住房和城乡建设局" and draft["urgent"] is False
