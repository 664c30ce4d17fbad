"""Loading evaluation sets in JSONL, CSV and xlsx, and checking them against the KB."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from eval.datasets import from_files, load_set, spoken_set, validate_set
from eval.errors import DatasetError


def test_loads_the_shared_dev_set(shared_dir: Path):
    s = load_set(shared_dir / "eval")
    assert s.counts == {"kb_queries": 200, "out_of_kb": 60, "tickets": 80, "gov_messages_gold": 495}
    q = next(q for q in s.kb_queries if q.id == "dev-q001")
    assert q.expect == ("gd_matters:11440000006940132H2440720009000:criteria",)
    assert all(not q.in_kb and q.should == "escalate" for q in s.out_of_kb)
    assert {t.sentiment for t in s.tickets} <= {"angry", "anxious", "neutral"}
    assert any(t.urgent for t in s.tickets)
    # the gold set repeats gm-37042 with two labels: both kept, the repeat renamed and reported
    assert [t.id for t in s.gov_messages_gold].count("gm-37042#2") == 1
    assert any("gm-37042" in w for w in s.warnings)
    multi = [q for q in s.kb_queries if len(q.expect) > 1]
    assert multi and all(k.startswith("covid_policy_qa:") for q in multi for k in q.expect)


def _rows(shared_dir: Path, kind: str) -> list[dict]:
    return [
        json.loads(line) for line in (shared_dir / "eval" / f"{kind}.jsonl").read_text("utf-8").splitlines()
    ]


def test_csv_and_xlsx_give_the_same_set_as_jsonl(shared_dir: Path, tmp_path: Path):
    queries = _rows(shared_dir, "kb_queries")[:30]
    tickets = _rows(shared_dir, "tickets")[:20]
    reference = from_files(
        [
            ("kb_queries.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in queries).encode()),
            ("tickets.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in tickets).encode()),
        ],
        name="ref",
    )
    # CSV: expect as ';'-joined external keys, booleans as 是/否
    with (tmp_path / "kb_queries.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "query", "region", "expect", "style"])
        for r in queries:
            keys = ";".join(
                f"{e['source']}:{e['key']}:{e['aspect']}" if e.get("aspect") else f"{e['source']}:{e['key']}"
                for e in r["expect"]
            )
            w.writerow([r["id"], r["query"], r["region"] or "", keys, r["style"]])
    # xlsx: expect as the JSON list of the JSONL format, region as a number, urgent as a bool
    wb = Workbook()
    ws = wb.active
    cols = ["id", "text", "region_name", "category_l1", "category_l2", "department", "urgent", "sentiment"]
    ws.append(cols)
    for r in tickets:
        ws.append([r[c] for c in cols])
    wb.save(tmp_path / "tickets.xlsx")

    loaded = load_set(tmp_path)
    assert loaded.kb_queries == reference.kb_queries
    assert loaded.tickets == reference.tickets


def test_xlsx_queries_with_numeric_regions_and_json_expect(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "query", "region", "expect"])
    ws.append(
        ["u1", "广州社保怎么转", 440100, '[{"source": "gd_matters", "key": "T1", "aspect": "location"}]']
    )
    ws.append([None, None, None, None])  # blank rows are skipped
    wb.save(tmp_path / "kb_queries.xlsx")
    (q,) = load_set(tmp_path).kb_queries
    assert q.region == "440100" and q.expect == ("gd_matters:T1:location",)


def test_validation_lists_missing_keys_and_unscorable_questions():
    s = from_files(
        [
            (
                "kb_queries.jsonl",
                "\n".join(
                    json.dumps(r)
                    for r in [
                        {"id": "a", "query": "q", "region": None, "expect": [{"source": "s", "key": "1"}]},
                        {
                            "id": "b",
                            "query": "q",
                            "region": None,
                            "expect": [{"source": "s", "key": "2"}, {"source": "s", "key": "3"}],
                        },
                        {"id": "c", "query": "q", "region": None, "expect": [{"source": "s", "key": "4"}]},
                    ]
                ).encode(),
            )
        ],
        name="t",
    )
    report = validate_set(s, known_keys={"s:1", "s:3"})
    assert [(m.query_id, m.key) for m in report.missing] == [("b", "s:2"), ("c", "s:4")]
    assert report.unscorable == ["c"]
    assert not report.ok
    assert validate_set(s, known_keys={"s:1", "s:2", "s:3", "s:4"}).ok


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "kb_queries.jsonl",
            b'{"id": "a", "query": "q", "expect": [{"source": "s", "key": "1"}]}\n{oops',
            "line 2: not valid JSON",
        ),
        ("kb_queries.jsonl", b'{"id": "a", "query": "q", "expect": []}', "row 1: 'expect' is empty"),
        ("kb_queries.jsonl", b'{"id": "a", "query": "", "expect": "s:1"}', "column 'query' is required"),
        ("tickets.csv", "id,text,urgent\nt1,文本,maybe\n".encode(), "row 2: 'maybe' is not a boolean"),
        ("tickets.csv", "id,text,sentiment\nt1,文本,happy\n".encode(), "sentiment 'happy'"),
        ("tickets.csv", "id,text\nt1,文本\n".encode("gbk"), "not UTF-8"),
        ("tickets.xlsx", b"not a zip", "not a readable xlsx"),
        ("tickets.txt", b"", "unsupported format"),
        ("questions.jsonl", b"", "name the file after its kind"),
    ],
)
def test_bad_files_get_an_error_that_says_where_and_what_to_do(name: str, data: bytes, message: str):
    with pytest.raises(DatasetError, match=message):
        from_files([(name, data)], name="upload")


def test_a_repeated_id_is_kept_renamed_and_reported():
    s = from_files([("tickets.csv", b"id,text\nt1,a\nt1,b\n")], name="u")
    assert [(t.id, t.text) for t in s.tickets] == [("t1", "a"), ("t1#2", "b")]
    assert s.warnings == ["tickets.csv row 3: id 't1' repeats an earlier row: kept as 't1#2'"]


def test_missing_folder_and_empty_folder(tmp_path: Path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_set(tmp_path / "nope")
    with pytest.raises(DatasetError, match="holds no set file"):
        load_set(tmp_path)


def test_spoken_set_is_the_same_questions_as_a_phone_line_gives_them(shared_dir: Path):
    clean = load_set(shared_dir / "eval")
    a, b = spoken_set(clean, 7), spoken_set(clean, 7)
    assert a == b  # a seed always gives the same set
    assert a.name == f"{clean.name}+spoken7" and spoken_set(clean, 8) != a
    for got, was in zip(a.kb_queries + a.out_of_kb, clean.kb_queries + clean.out_of_kb, strict=True):
        assert (got.id, got.expect, got.region, got.should) == (was.id, was.expect, was.region, was.should)
        assert not any(p in got.query for p in "，。？！、,.?!")
    changed = [g for g, w in zip(a.kb_queries, clean.kb_queries, strict=True) if g.query != w.query]
    assert len(changed) > 0.9 * len(clean.kb_queries)
    assert a.tickets == clean.tickets and a.gov_messages_gold == clean.gov_messages_gold
