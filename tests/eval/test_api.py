"""Evaluator API over a real server app and database: upload a set, run it, list, compare, read reports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth import create_token
from eval import kbset
from eval.datasets import load_set


@pytest.fixture
def queries(shared_dir: Path) -> list[dict]:
    rows = [json.loads(x) for x in (shared_dir / "eval" / "kb_queries.jsonl").read_text("utf-8").splitlines()]
    return rows[:12]


@pytest.fixture
def api(
    fresh_db, shared_dir: Path, tmp_path: Path, queries: list[dict]
) -> Iterator[tuple[TestClient, dict[str, dict]]]:
    from api.app import create_app
    from kb.config import EmbedderSettings, Settings

    expected = {k for q in load_set(shared_dir / "eval").kb_queries[:12] for k in q.expect}
    with Session(fresh_db.engine) as session:
        kbset.ensure_eval_kb(
            session=session,
            shared_data=shared_dir / "data",
            keep=kbset.gate_keep(expected, distractor_share=0.002),
        )
        headers = {
            role: {"Authorization": f"Bearer {create_token(session=session, name=role, role=role)}"}
            for role in ("evaluator", "agent", "admin")
        }
        session.commit()
    settings = Settings(
        env="test",
        database_url=fresh_db.url,
        data_dir=tmp_path,
        shared_data=shared_dir / "data",
        embedder=EmbedderSettings(backend="none"),
    )
    with TestClient(create_app(settings, warm=False)) as client:
        yield client, headers


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "query", "region", "expect"])
    for r in rows:
        keys = ";".join(
            ":".join(x for x in (e["source"], e["key"], e.get("aspect")) if x) for e in r["expect"]
        )
        w.writerow([r["id"], r["query"], r["region"] or "", keys])
    return buf.getvalue().encode("utf-8")


def _upload(client: TestClient, headers: dict, data: bytes, name: str) -> dict:
    r = client.post(
        "/eval/runs",
        headers=headers,
        files=[("files", ("kb_queries.csv", data, "text/csv"))],
        data={"suite": "retrieval", "name": name},
    )
    assert r.status_code == 202, r.text
    return r.json()


def test_upload_run_list_compare_and_report(api, queries: list[dict]):
    client, headers = api
    ev = headers["evaluator"]
    first = _upload(client, ev, _csv(queries), "dev-12")
    assert first["counts"]["kb_queries"] == 12
    run = client.get(f"/eval/runs/{first['id']}", headers=ev).json()
    assert run["status"] == "done", run["error"]
    assert 0 < run["summary"]["recall_at_5"] <= 1 and run["summary"]["primary"] == {"retrieval": "bm25"}
    # the same ids, the questions replaced by unrelated chatter: every hit is lost
    worse = [{**q, "query": "今天天气怎么样啊"} for q in queries]
    second = _upload(client, ev, _csv(worse), "dev-12-garbled")
    listed = client.get("/eval/runs", headers=ev).json()
    assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]] and listed["total"] == 2

    diff = client.get("/eval/compare", params={"base": first["id"], "other": second["id"]}, headers=ev).json()
    assert diff["metrics"]["recall_at_5"]["delta"] < 0
    assert diff["improved"] == [] and diff["regressed"]
    lost = diff["regressed"][0]
    assert lost["suite"] == "retrieval" and lost["before"]["rank"] == 1 and lost["expected"]

    wrong = client.get(f"/eval/runs/{second['id']}/items", params={"wrong_only": True}, headers=ev).json()
    assert wrong and all(not i["correct"] and i["expected"] and "got" in i for i in wrong)

    page = client.get(f"/eval/reports/{first['id']}", headers=ev)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "id='plot-retrieval'" in page.text and "dev-12" in page.text
    md = client.get(f"/eval/reports/{first['id']}.md", headers=ev)
    assert md.status_code == 200 and "Recall@5" in md.text


def test_roles_and_bad_uploads(api, queries: list[dict]):
    client, headers = api
    r = client.get("/eval/runs", headers=headers["agent"])
    assert r.status_code == 403 and "evaluator" in r.json()["detail"]
    assert client.get("/eval/runs", headers=headers["admin"]).status_code == 200
    bad = client.post(
        "/eval/runs",
        headers=headers["evaluator"],
        files=[("files", ("kb_queries.csv", b"id,query,expect\nq1,,s:1\n", "text/csv"))],
    )
    assert bad.status_code == 422 and "row 2" in bad.json()["detail"] and "query" in bad.json()["detail"]
    wrong_suite = client.post(
        "/eval/runs",
        headers=headers["evaluator"],
        files=[("files", ("kb_queries.csv", _csv(queries), "text/csv"))],
        data={"suite": "speed"},
    )
    assert wrong_suite.status_code == 422 and "unknown suite" in wrong_suite.json()["detail"]
    assert client.get("/eval/runs", headers=headers["evaluator"]).json()["total"] == 0, (
        "a rejected upload stores nothing"
    )
    missing = client.get("/eval/reports/999", headers=headers["evaluator"])
    assert missing.status_code == 404 and "GET /eval/runs" in missing.json()["detail"]
