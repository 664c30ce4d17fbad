"""`lianxin eval SUITE --set DIR --json` as a real subprocess: one JSON object, reports on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIANXIN = str(Path(sys.executable).parent / "lianxin")


def test_eval_retrieval_prints_one_json_object_and_writes_reports(fresh_db, shared_dir: Path, tmp_path: Path):
    lines = (shared_dir / "eval" / "kb_queries.jsonl").read_text("utf-8").splitlines()[:8]
    bogus = {
        "id": "x-1",
        "query": "不存在的事项怎么办",
        "region": None,
        "expect": [{"source": "gd_matters", "key": "NOPE", "aspect": "location"}],
    }
    set_dir = tmp_path / "set"
    set_dir.mkdir()
    (set_dir / "kb_queries.jsonl").write_text(
        "\n".join([*lines, json.dumps(bogus, ensure_ascii=False)]), "utf-8"
    )
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": fresh_db.url,
        "LIANXIN_DATA_DIR": str(tmp_path / "var"),
        "LIANXIN_SHARED_DATA": str(shared_dir / "data"),
        "LIANXIN_EMBEDDER__BACKEND": "none",
    }
    cmd = [
        LIANXIN,
        "eval",
        "retrieval",
        "--set",
        str(set_dir),
        "--json",
        "--distractors",
        "0.001",
        "--report-dir",
        str(tmp_path / "out"),
        "--store",
    ]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), done.stderr[-3000:]
    out = json.loads(done.stdout)  # exactly one JSON document on stdout
    assert {"recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10", "ndcg_at_10"} <= out.keys()
    assert "direct_answer_accuracy" not in out and "macro_f1_l1" not in out
    assert out["recall_at_10"] >= out["recall_at_5"] >= out["recall_at_1"] > 0
    # the bogus expected key is listed, and its question left out of the scores
    assert out["missing_keys"] == 1 and out["unscorable_queries"] == 1
    assert out["configs"]["retrieval"]["bm25"]["retrieval_questions"] == 8
    assert out["run_id"] >= 1  # stored in the service database
    # the KB under evaluation has a database of its own, named after the distractor share
    assert (tmp_path / "var" / "eval" / "kb-0.001.db").is_file()
    md = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "x-1: `gd_matters:NOPE:location`" in md
    assert "<img class='plot' id='plot-retrieval'" in (tmp_path / "out" / "report.html").read_text("utf-8")
    # per-item results beside the reports: each question with what was expected and what came back
    items = json.loads((tmp_path / "out" / "items.json").read_text("utf-8"))
    (retrieval,) = [s for s in items["suites"] if s["suite"] == "retrieval" and s["config"] == "bm25"]
    assert len(retrieval["items"]) == 8
    assert {"id", "query", "correct"} <= retrieval["items"][0].keys()


def test_eval_refuses_an_unknown_suite_and_a_missing_set(tmp_path: Path):
    bad = subprocess.run(
        [LIANXIN, "eval", "speed", "--set", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "unknown suite 'speed'" in bad.stderr
    no_set = subprocess.run(
        [LIANXIN, "eval", "all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert no_set.returncode == 2 and "--set DIR is required" in no_set.stderr


def test_spoken_questions_are_measured_under_their_own_set_name(fresh_db, shared_dir: Path, tmp_path: Path):
    set_dir = tmp_path / "set"
    set_dir.mkdir()
    lines = (shared_dir / "eval" / "kb_queries.jsonl").read_text("utf-8").splitlines()[:6]
    (set_dir / "kb_queries.jsonl").write_text("\n".join(lines), "utf-8")
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": fresh_db.url,
        "LIANXIN_DATA_DIR": str(tmp_path / "var"),
        "LIANXIN_SHARED_DATA": str(shared_dir / "data"),
        "LIANXIN_EMBEDDER__BACKEND": "none",
    }
    cmd = [LIANXIN, "eval", "retrieval", "--set", str(set_dir), "--json", "--distractors", "0.001"]
    done = subprocess.run(
        [*cmd, "--spoken", "7"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["set"] == "set+spoken7" and out["configs"]["retrieval"]["bm25"]["retrieval_questions"] == 6
    gate = subprocess.run(
        [LIANXIN, "eval", "gate", "--spoken", "7"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gate.returncode == 2 and "--spoken applies to an evaluation set" in gate.stderr
