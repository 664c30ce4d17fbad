"""gd_matters 办事指南 records: one entry per item × aspect present, keys, regions, matter keys."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ingest.errors import BadFile
from ingest.gd_matters import GdMattersAdapter
from ingest.runner import run_import
from ingest.validation import normalise_name
from kb import service as kb_service
from kb.models import Entry
from tests.ingest.conftest import expected_entries, gd_item, write_jsonl


def _run(session, path, **kw):
    return run_import(session=session, adapter=GdMattersAdapter(path), **kw)


def _entries(session, code):
    rows = session.scalars(select(Entry).where(Entry.external_key.like(f"gd_matters:{code}:%")))
    return {e.aspect: e for e in rows}


def test_one_entry_per_aspect_present(session, tmp_path):
    # accept_standard, complain_phone are 无: no criteria or complain_phone entry
    path = write_jsonl(tmp_path / "p.jsonl", [gd_item("P1", "测试许可（变更）")])
    report = _run(session, path)
    got = _entries(session, "P1")
    assert set(got) == {"materials", "location", "time_limit", "consult_phone", "online", "department"}
    assert report.created == 6 and report.rejected == 0
    m = got["materials"]
    assert m.question == "办理测试许可（变更）需要哪些材料？" and len(m.similar_questions) >= 3
    assert "1. 申请表\n2. 身份证" in m.answer
    assert m.external_key == "gd_matters:P1:materials" and m.aspect == "materials"
    assert m.region_code == "440000" and m.tier == "province" and m.status == "published"
    assert m.matter_key == "测试许可(变更)" and m.department == "广东省测试厅"
    assert got["time_limit"].answer == "测试许可（变更）的承诺办结时限为5个工作日，法定办结时限为20个工作日。"
    assert got["location"].answer == "测试许可（变更）的办理地点：广州市越秀区测试路1号。"
    assert "020-12345678" in got["consult_phone"].answer
    assert "暂不支持网上预约" in got["online"].answer


def test_city_items_are_guangzhou_and_no_counter_points_online(session, tmp_path):
    item = gd_item(
        "C1",
        "测试许可(变更)",
        "市级",
        handle_location="无线下办理窗口",
        online_book="是",
        URL="https://example.gov.cn/C1",
        material_intro="无",
    )
    _run(session, write_jsonl(tmp_path / "c.jsonl", [item]))
    got = _entries(session, "C1")
    assert "materials" not in got
    loc = got["location"]
    assert loc.region_code == "440100" and loc.tier == "city"
    assert "无线下办理窗口" in loc.answer and "广东政务服务网" in loc.answer
    assert "支持网上预约" in got["online"].answer and "https://example.gov.cn/C1" in got["online"].answer
    # the same matter as the province's 测试许可（变更）: full- and half-width brackets meet
    assert loc.matter_key == normalise_name("测试许可（变更）")
    regions = {r.code: r for r in kb_service.list_regions(session=session)}
    assert regions["440100"].parent_code == "440000" and regions["440000"].level == "province"


@pytest.mark.parametrize(
    ("over", "field", "problem"),
    [
        ({"TASK_CODE": ""}, "TASK_CODE", "missing"),
        ({"matter_level": "县级"}, "matter_level", "neither 省级 nor 市级"),
        ({"AREACODE": "440100"}, "AREACODE", "does not match"),
    ],
)
def test_bad_items_are_reported_by_line(session, tmp_path, over, field, problem):
    path = write_jsonl(tmp_path / "p.jsonl", [gd_item("OK1", "好事项"), gd_item("BAD", "坏事项", **over)])
    report = _run(session, path)
    assert (report.created, report.rejected, report.written) == (0, 1, False)
    [err] = report.errors
    assert (err.row, err.field) == (2, field) and problem in err.problem
    assert _entries(session, "OK1") == {}


def test_item_without_content_and_broken_lines_are_rejected(session, tmp_path):
    empty = {k: ("无" if isinstance(v, str) else v) for k, v in gd_item("E1", "空事项").items()}
    empty.update(
        TASK_CODE="E1",
        TASK_NAME="空事项",
        matter_level="省级",
        AREACODE="440000",
        DEPT_NAME="",
        material_intro=["无"],
        online_book="否",
    )
    path = tmp_path / "p.jsonl"
    write_jsonl(path, [gd_item("OK1", "好事项"), empty])
    path.write_text(path.read_text(encoding="utf-8") + '{"TASK_CODE": "X", broken\n', encoding="utf-8")
    report = _run(session, path, good_rows_only=True)
    assert report.created == 6 and report.rejected == 2
    assert [(e.row, e.field) for e in report.errors] == [(2, None), (3, None)]
    assert (
        "no aspect with content" in report.errors[0].problem
        and "not a JSON object" in report.errors[1].problem
    )


def test_duplicate_task_code_is_a_row_error(session, tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [gd_item("D1", "甲"), gd_item("D1", "甲")])
    report = _run(session, path)
    assert report.rejected == 1 and not report.written
    assert {(e.row, e.field) for e in report.errors} == {(2, "TASK_CODE")}


def test_changed_item_updates_only_its_changed_aspects(session, tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [gd_item("U1", "变更事项")])
    _run(session, path)
    write_jsonl(path, [gd_item("U1", "变更事项", consult_phone="020-87654321")])
    report = _run(session, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    assert _entries(session, "U1")["consult_phone"].version == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "is empty"), (b"id\tdocid\tquestion\tanswer\n1\t2\tq\ta\n", "not in the gd_matters format")],
)
def test_wrong_or_empty_file_is_refused(session, tmp_path, content, says):
    path = tmp_path / "p.jsonl"
    path.write_bytes(content)
    with pytest.raises(BadFile, match=says):
        _run(session, path)


def test_real_sample_of_shared_items(session, shared_dir, tmp_path):
    """The first 40 provincial and 20 Guangzhou records of the real file, with independent counts."""
    lines = (shared_dir / "data/gd_matters/policy.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(x) for x in lines]
    sample = [i for i in items if i["matter_level"] == "省级"][:40] + [
        i for i in items if i["matter_level"] == "市级"
    ][:20]
    path = write_jsonl(tmp_path / "sample.jsonl", sample)

    expected = expected_entries(sample)
    report = _run(session, path)
    assert report.rejected == 0, report.errors
    assert report.created == expected
    again = _run(session, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected)
    city = session.scalars(
        select(Entry).where(Entry.external_key.like("gd_matters:%"), Entry.region_code == "440100")
    )
    assert {e.extra["level"] for e in city} == {"市级"}
