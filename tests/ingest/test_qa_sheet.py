"""QA sheets: column mapping, validation per row, all-or-nothing vs good rows only, idempotent re-imports."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ingest.errors import BadFile, UnknownSource
from ingest.qa_sheet import COLUMNS, NewSource, QASheetAdapter, template_xlsx
from ingest.runner import run_import
from kb import service as kb_service
from kb.models import Entry, EntryVersion
from tests import factories
from tests.ingest.conftest import good_row, write_xlsx

SRC = "ts-hrss"


@pytest.fixture
def src(session):
    return factories.source(
        session, code=SRC, tier="department", region_code="620500", department="天水市人力资源和社会保障局"
    )


def _import(session, path, **kw):
    opts = {
        k: kw.pop(k)
        for k in ("status", "new_source", "only_department", "region_scope", "source_code")
        if k in kw
    }
    opts.setdefault("source_code", SRC)
    return run_import(session=session, adapter=QASheetAdapter(path, **opts), **kw)


def _count(session, source_code=SRC):
    return session.scalar(
        select(func.count(Entry.id)).join(Entry.source).where(Entry.source.has(code=source_code))
    )


def test_sheet_maps_every_column(session, src, make_xlsx):
    kb_service.ensure_topic(session=session, code="gxbc", name="高效办成一件事")
    path = make_xlsx(
        [
            good_row(1, 专题="高效办成一件事", 失效日期="2025/12/31"),
            good_row(2, 地区="620503", 部门="", 生效日期="2024年3月1日", 外部编号=""),
        ]
    )
    report = _import(session, path)
    assert report.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    e1 = kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:R001")
    assert e1.region_code == "620500" and e1.department == "天水市人力资源和社会保障局"
    assert e1.similar_questions == ["事项1要带什么", "事项1材料", "事项1清单", "事项1准备啥"]
    assert e1.topic_codes == ["gxbc"]
    assert (e1.effective_from, e1.expires_at) == (date(2024, 1, 1), date(2025, 12, 31))
    assert e1.policy_ref == "《测试办法》" and e1.status == "published"
    e2 = session.scalars(select(Entry).where(Entry.question == good_row(2)["问题"])).one()
    # no 部门: the source's department; no 外部编号: a key derived from region and question
    assert e2.region_code == "620503" and e2.department == "天水市人力资源和社会保障局"
    assert e2.external_key.startswith(f"{SRC}:q:") and e2.effective_from == date(2024, 3, 1)


def test_reimport_is_idempotent_and_versions_changes(session, src, make_xlsx):
    rows = [good_row(i) for i in range(1, 4)]
    assert _import(session, make_xlsx(rows)).created == 3
    again = _import(session, make_xlsx(rows, name="again.xlsx"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows[1] = good_row(2, 答案="办理事项2只需身份证。")
    changed = _import(session, make_xlsx(rows, name="changed.xlsx"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    e = kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:R002")
    assert e.version == 2 and e.answer == "办理事项2只需身份证。"
    assert [v.snapshot["answer"] for v in e.versions] == [good_row(2)["答案"], "办理事项2只需身份证。"]


def test_reimport_keeps_reviewed_status(session, src, make_xlsx):
    path = make_xlsx([good_row(1)])
    _import(session, path, status="draft")
    e = kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:R001")
    kb_service.set_status(session=session, entry_id=e.id, status="published")
    report = _import(session, path, status="draft")
    assert report.unchanged == 1 and e.status == "published"


BAD_ROWS = {
    "missing answer": (good_row(2, 答案=None), "答案", "answer is missing"),
    "unknown region": (good_row(2, 地区="火星市"), "地区", "unknown region '火星市'"),
    "bad date": (good_row(2, 生效日期="2024-13-45"), "生效日期", "'2024-13-45' is not a date"),
    "expiry before start": (good_row(2, 生效日期="2024-05-01", 失效日期="2024-04-01"), "失效日期", "before"),
    "duplicate key": (good_row(2, 外部编号="R001"), "外部编号", "duplicate key 'ts-hrss:R001': row 2"),
    "unknown topic": (good_row(2, 专题="不存在的专题"), "专题", "unknown topic"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_is_reported_and_nothing_is_written(session, src, make_xlsx, case):
    bad, field, problem = BAD_ROWS[case]
    path = make_xlsx([good_row(1), bad, good_row(3)])
    report = _import(session, path)
    assert (report.created, report.rejected, report.written) == (0, 1, False)
    [err] = report.errors
    assert err.row == 3 and err.field == field and problem in err.problem and err.fix
    assert _count(session) == 0


def test_good_rows_only_writes_the_good_and_reports_every_bad(session, src, make_xlsx):
    rows = [
        good_row(1),
        good_row(2, 答案=""),
        good_row(3, 地区="火星市", 生效日期="昨天"),
        good_row(4),
        good_row(5, 外部编号="R004"),
    ]
    report = _import(session, make_xlsx(rows), good_rows_only=True)
    assert (report.created, report.rejected, report.written) == (2, 3, True)
    assert sorted((e.row, e.field) for e in report.errors) == [
        (3, "答案"),
        (4, "地区"),
        (4, "生效日期"),
        (6, "外部编号"),
    ]
    assert _count(session) == 2


def test_dry_run_counts_but_writes_nothing(session, src, make_xlsx):
    report = _import(session, make_xlsx([good_row(1), good_row(2)]), dry_run=True)
    assert (report.created, report.written) == (2, False)
    assert _count(session) == 0
    assert session.scalar(select(func.count(EntryVersion.id))) == 0


def test_csv_gb18030_and_jsonl_read_the_same_columns(session, src, tmp_path):
    import json

    csv_path = tmp_path / "sheet.csv"
    csv_path.write_bytes(
        "问题,答案,地区,外部编号\n兰州市公积金怎么提取？,带身份证到公积金中心办理。,兰州,C1\n".encode(
            "gb18030"
        )
    )
    jsonl = tmp_path / "sheet.jsonl"
    jsonl.write_text(
        json.dumps(
            {"问题": "天水医保怎么转移？", "答复口径": "到医保局办理。", "外部编号": "J1"}, ensure_ascii=False
        )
    )
    assert _import(session, csv_path).created == 1
    assert _import(session, jsonl).created == 1
    assert (
        kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:C1").region_code
        == "620100"
    )
    assert (
        kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:J1").answer
        == "到医保局办理。"
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.xlsx", b"", "is empty"),
        ("empty.csv", b"", "is empty"),
        ("empty.jsonl", b"\n\n", "is empty"),
        ("header_only.csv", "问题,答案\n".encode(), "no data rows"),
        ("text.xlsx", "问题,答案\n问,答\n".encode(), "not an Excel .xlsx workbook"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (
            "wrong_columns.csv",
            b"id,docid,question,answer\n1,2,q,a\n",
            r"column\(s\) 问题, 答案 are missing",
        ),
        ("notes.docx", b"PK\x03\x04", "unsupported file type"),
        ("not_json.jsonl", b"hello\n", "not JSON lines"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(session, src, tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadFile, match=says):
        _import(session, path)
    assert _count(session) == 0


def test_empty_sheet_in_a_real_workbook_is_refused(session, src, tmp_path):
    path = write_xlsx(tmp_path / "blank.xlsx", [], header=[])
    with pytest.raises(BadFile, match="empty"):
        _import(session, path)


def test_unknown_source_needs_a_tier_to_be_created(session, make_xlsx):
    path = make_xlsx([good_row(1)])
    with pytest.raises(UnknownSource, match="--tier"):
        run_import(session=session, adapter=QASheetAdapter(path, source_code="new-src"))
    report = run_import(
        session=session,
        adapter=QASheetAdapter(
            path,
            source_code="new-src",
            new_source=NewSource(name="新来源", tier="city", region_code="620500"),
        ),
    )
    assert report.created == 1
    assert kb_service.get_source_by_code(session=session, code="new-src").tier == "city"


def test_department_scope_is_enforced_per_row(session, src, make_xlsx):
    path = make_xlsx([good_row(1), good_row(2, 部门="天水市公安局"), good_row(3, 地区="兰州市")])
    report = _import(
        session,
        path,
        only_department="天水市人力资源和社会保障局",
        region_scope=kb_service.region_subtree(session=session, code="620500"),
        good_rows_only=True,
    )
    assert report.created == 1
    assert sorted((e.row, e.field) for e in report.errors) == [(3, "部门"), (4, "地区")]


def test_template_lists_the_columns_and_imports_its_example(session, src, tmp_path):
    data = template_xlsx()
    wb = load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.worksheets[0][1]] == list(COLUMNS)
    assert {r[0] for r in wb["说明"].iter_rows(min_row=2, values_only=True)} >= {
        "问题",
        "答案",
        "地区",
        "外部编号",
    }
    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    report = _import(session, path)
    assert report.created == 1, report.errors
    e = kb_service.get_by_key(session=session, source_code=SRC, external_key=f"{SRC}:TS-GA-0001")
    assert e.region_code == "620500" and e.matter_key == "新生儿落户" and len(e.similar_questions) == 3
