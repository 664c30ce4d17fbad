"""covid_policy_qa TSV and gov_messages 附件4 cases: keys, kinds, validation, real samples."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from ingest.covid_policy_qa import CovidPolicyQAAdapter
from ingest.errors import BadFile
from ingest.gov_messages_cases import GovMessagesCasesAdapter, substantive
from ingest.runner import run_import
from kb import service as kb_service
from kb.models import Entry

TSV_HEADER = "id\tdocid\tquestion\tanswer\n"
CASE_HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]


def _tsv(tmp_path, body: str):
    path = tmp_path / "covid.tsv"
    path.write_text(TSV_HEADER + body, encoding="utf-8")
    return path


def _cases(tmp_path, rows):
    path = tmp_path / "附件4.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(CASE_HEADER)
        w.writerows(rows)
    return path


def test_covid_rows_become_topic_entries_keyed_by_id(session, tmp_path):
    path = _tsv(
        tmp_path, "a1\td1\t北京对展会有何支持？\t按场租50%补助。\na2\td2\t复工要什么手续？\t 向街道备案。 \n"
    )
    report = run_import(session=session, adapter=CovidPolicyQAAdapter(path))
    assert report.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    e = kb_service.get_by_external_key(session=session, external_key="covid_policy_qa:a2")
    assert e.answer == "向街道备案。" and e.region_code is None and e.tier == "topic" and e.kind == "qa"
    assert e.extra == {"docid": "d2"} and e.status == "published"


def test_covid_bad_rows_are_named(session, tmp_path):
    path = _tsv(
        tmp_path, "a1\td1\t问题一\t答案一\na2\td2\t问题二\t\n\td3\t问题三\t答案三\na1\td4\t问题四\t答案四\n"
    )
    report = run_import(session=session, adapter=CovidPolicyQAAdapter(path))
    assert not report.written and report.rejected == 3
    assert [(e.row, e.field) for e in report.errors] == [(3, "answer"), (4, "id"), (5, "id")]
    assert session.scalars(select(Entry).where(Entry.external_key.like("covid_policy_qa:%"))).first() is None


def test_covid_wrong_file_is_refused(session, tmp_path):
    path = tmp_path / "covid.tsv"
    path.write_text("问题\t答案\n问\t答\n", encoding="utf-8")
    with pytest.raises(BadFile, match="id, docid, question, answer"):
        run_import(session=session, adapter=CovidPolicyQAAdapter(path))


def test_cases_are_kind_case_with_message_and_reply(session, tmp_path):
    rows = [
        [
            "101",
            "A001",
            "小区噪音扰民",
            "2019/4/25 9:32:09",
            "楼下商铺夜间施工噪音很大。",
            "经核查，已责令商铺停止夜间施工。",
            "2019/5/10 14:56:53",
        ],
        [
            "102",
            "A002",
            "咨询落户",
            "2019/4/26 9:00:00",
            "想咨询落户。",
            "网友：您好！留言已收悉",
            "2019/5/1 10:00:00",
        ],
        ["103", "A003", "路灯不亮", "昨天", "路灯坏了。", "已转交城管部门维修。", "2019/5/1 10:00:00"],
    ]
    report = run_import(
        session=session, adapter=GovMessagesCasesAdapter(_cases(tmp_path, rows)), good_rows_only=True
    )
    assert (report.created, report.rejected) == (1, 2)
    assert [(e.row, e.field) for e in report.errors] == [(3, "答复意见"), (4, "留言时间")]
    e = kb_service.get_by_external_key(session=session, external_key="gov_messages:101")
    assert e.kind == "case" and e.question == "小区噪音扰民" and e.source.code == "gov_messages"
    assert "【群众留言】（2019-04-25）楼下商铺夜间施工噪音很大。" in e.answer
    assert "【答复意见】（2019-05-10）经核查，已责令商铺停止夜间施工。" in e.answer


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ("网友：您好！留言已收悉", False),
        ("已收悉", False),
        ("网友：您好！2019年3月5日", False),
        ("“UU0081182”", False),
        ("您好，您反映的问题已转L1区调查核处。", True),
        ("经查全省人口信息系统，安沙镇万家铺村登记为农村地区。", True),
    ],
)
def test_acknowledgement_only_replies_are_not_cases(reply, ok):
    assert substantive(reply) is ok


def test_real_samples(session, shared_dir, tmp_path):
    """The first 300 covid rows and 200 cases of the shared files: all accepted, idempotent."""
    src = (shared_dir / "data/covid_policy_qa/NCPPolicies_train_20200301.tsv").read_text(encoding="utf-8")
    covid = tmp_path / "covid.tsv"
    covid.write_text("\n".join(src.splitlines()[:301]) + "\n", encoding="utf-8")
    with (shared_dir / "data/gov_messages/csv/附件4_messages_with_official_replies.csv").open(
        encoding="utf-8-sig"
    ) as f:
        reader = csv.reader(f)
        rows = [next(reader) for _ in range(201)]
    cases = _cases(tmp_path, rows[1:])
    r1 = run_import(session=session, adapter=CovidPolicyQAAdapter(covid))
    r2 = run_import(session=session, adapter=GovMessagesCasesAdapter(cases), good_rows_only=True)
    assert (r1.created, r1.rejected) == (300, 0)
    assert r2.created + r2.rejected == 200 and r2.created > 180
    assert all(e.field == "答复意见" for e in r2.errors)
    again = run_import(session=session, adapter=CovidPolicyQAAdapter(covid))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 300)
