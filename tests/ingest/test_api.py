"""POST /ingest/qa_sheet and GET /ingest/template.xlsx: who may call them, and what they write."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kb.models import Entry
from tests import factories
from tests.ingest.conftest import good_row, write_xlsx

HRSS = "甘肃省人力资源和社会保障厅"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def sources(session):
    factories.source(session, code="hrss", tier="department", region_code="620000", department=HRSS)
    factories.source(
        session, code="health", tier="department", region_code="620000", department="甘肃省医疗保障局"
    )


def _sheet(tmp_path, rows):
    return write_xlsx(tmp_path / "s.xlsx", rows).read_bytes()


def _post(client, headers, data, source="hrss", **params):
    files = {"file": ("s.xlsx", data, XLSX)}
    return client.post("/ingest/qa_sheet", params={"source": source, **params}, files=files, headers=headers)


def _rows(n, **over):
    return [good_row(i, 部门="", 地区="620000", **over) for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("citizen", 403),
        ("agent_province", 403),
        ("reviewer_province", 403),
        ("editor_health", 403),
        ("editor_hrss", 200),
        ("admin", 200),
    ],
)
def test_upload_roles(client, tokens, sources, tmp_path, role, status):
    headers = tokens.get(role, {})
    r = _post(client, headers, _sheet(tmp_path, _rows(2)))
    assert r.status_code == status, r.text


def test_editor_upload_is_draft_in_own_department(client, tokens, sources, session, tmp_path):
    r = _post(client, tokens["editor_hrss"], _sheet(tmp_path, _rows(2)), status="published")
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    got = session.scalars(select(Entry).where(Entry.external_key.like("hrss:%"))).all()
    assert {(e.status, e.department) for e in got} == {("draft", HRSS)}


def test_admin_may_publish(client, tokens, sources, session, tmp_path):
    r = _post(client, tokens["admin"], _sheet(tmp_path, _rows(1)), status="published")
    assert r.status_code == 200
    assert session.scalars(select(Entry).where(Entry.external_key == "hrss:R001")).one().status == "published"


def test_bad_sheet_is_422_with_every_row_and_writes_nothing(client, tokens, sources, session, tmp_path):
    rows = _rows(3)
    rows[1]["答案"] = None
    rows[2]["部门"] = "甘肃省公安厅"
    r = _post(client, tokens["editor_hrss"], _sheet(tmp_path, rows))
    assert r.status_code == 422
    body = r.json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "答案"), (4, "部门")]
    assert session.scalars(select(Entry).where(Entry.external_key.like("hrss:%"))).first() is None
    r = _post(client, tokens["editor_hrss"], _sheet(tmp_path, rows), good_rows_only="true")
    assert r.status_code == 200 and r.json()["created"] == 1


def test_unusable_upload_says_why(client, tokens, sources):
    r = _post(client, tokens["admin"], b"", source="hrss")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = client.post(
        "/ingest/qa_sheet",
        params={"source": "hrss"},
        files={"file": ("a.pdf", b"%PDF", "application/pdf")},
        headers=tokens["admin"],
    )
    assert r.status_code == 422 and "unsupported file type" in r.json()["detail"]
    r = _post(client, tokens["admin"], b"x", source="nope")
    assert r.status_code == 422 and "nope" in r.json()["detail"]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("citizen", 403),
        ("agent_province", 403),
        ("editor_hrss", 200),
        ("reviewer_province", 200),
        ("admin", 200),
    ],
)
def test_template_download(client, tokens, role, status):
    r = client.get("/ingest/template.xlsx", headers=tokens.get(role, {}))
    assert r.status_code == status
    if status == 200:
        assert (
            r.headers["content-type"] == XLSX and "qa_sheet_template.xlsx" in r.headers["content-disposition"]
        )
        assert load_workbook(io.BytesIO(r.content)).worksheets[0]["C1"].value == "答案"
