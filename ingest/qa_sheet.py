"""QA-pair sheets (一问一答) in xlsx, csv (UTF-8 or GB18030) or jsonl → QA entries of one source.

Column mapping (row 1 holds the column names; jsonl uses the same names as keys):

=========  ========  ===============================================================================
column     required  meaning
=========  ========  ===============================================================================
问题        yes       the main question, as a citizen asks it (标准问题 is accepted too)
相似问题     no        other ways to ask, separated by newlines, ；(;) or |
答案        yes       the official answer, 答复口径 (答复口径 is accepted as the column name too)
地区        no        region name (天水市, 天水) or GB/T 2260 code (620500); empty = the source's region
部门        no        the department that owns the answer; empty = the source's department
专题        no        topic codes or names (高效办成一件事), separated like 相似问题 or by 、
生效日期     no        first day in force: 2024-03-01, 2024/3/1, 2024年3月1日 or an Excel date
失效日期     no        last day in force (inclusive), same formats; not before 生效日期
政策依据     no        the policy document the answer rests on
外部编号     no        your own id for the row: the key for re-imports (keep it stable)
事项        no        the matter the row answers; rows of different tiers with the same 事项 are
                     linked by federation (the most specific region wins)
=========  ========  ===============================================================================

Re-imports find a row's entry by ``<source>:<外部编号>``, or, without 外部编号, by the question and
region (``<source>:q:<hash>``): then editing the question makes a new entry, so give 外部编号 for rows
whose wording will change. Entries are published unless the import asks for draft (a department that
wants its sheet reviewed first); re-imports keep an existing entry's status.

The template (``lianxin ingest template``, ``GET /ingest/template.xlsx``) has these columns and one
example row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ingest import tabular
from ingest.errors import UnknownSource
from ingest.report import RowError
from ingest.runner import Candidate
from ingest.validation import normalise_name, parse_date, resolve_region, split_similar, text
from kb import service as kb_service
from kb.errors import KBError
from kb.models import Source
from kb.schemas import EntryCreate

COLUMNS = (
    "问题",
    "相似问题",
    "答案",
    "地区",
    "部门",
    "专题",
    "生效日期",
    "失效日期",
    "政策依据",
    "外部编号",
    "事项",
)
REQUIRED = ("问题", "答案")
ALIASES = {"标准问题": "问题", "答复口径": "答案", "答复": "答案"}
EXAMPLE = {
    "问题": "天水市新生儿落户需要哪些材料？",
    "相似问题": "新生儿怎么上户口\n宝宝出生后落户要带什么；新生儿入户材料",
    "答案": "新生儿落户需携带《出生医学证明》、父母双方户口簿和居民身份证、结婚证，到户籍所在地派出所办理。",
    "地区": "天水市",
    "部门": "天水市公安局",
    "专题": "",
    "生效日期": "2024-01-01",
    "失效日期": "",
    "政策依据": "《甘肃省户口登记管理规定》",
    "外部编号": "TS-GA-0001",
    "事项": "新生儿落户",
}
_TOPIC_SPLIT = re.compile(r"[\r\n；;|｜、,，]+")


@dataclass
class NewSource:
    """How to create the sheet's source when the KB does not have it yet."""

    name: str
    tier: str
    region_code: str | None = None
    department: str | None = None


class QASheetAdapter:
    source_type = "qa_sheet"

    def __init__(
        self,
        path: Path,
        *,
        source_code: str,
        status: str = "published",
        new_source: NewSource | None = None,
        only_department: str | None = None,
        region_scope: set[str] | None = None,
        fmt: str | None = None,
    ):
        """``only_department`` / ``region_scope`` restrict a department editor's upload to their scope."""
        self.path = Path(path)
        self.source_code = source_code
        self.status = status
        self.new_source = new_source
        self.only_department = only_department
        self.region_scope = region_scope
        self.fmt = fmt
        self._source: Source | None = None

    def prepare(self, *, session: Session) -> None:
        try:
            self._source = kb_service.get_source_by_code(session=session, code=self.source_code)
        except KBError as exc:
            if self.new_source is None:
                raise UnknownSource(
                    f"the KB has no source {self.source_code!r}: pick an existing one (lianxin kb stats lists them) "
                    "or create it with --tier (and --source-name, --source-region, --source-department)"
                ) from exc
            ns = self.new_source
            self._source = kb_service.ensure_source(
                session=session,
                code=self.source_code,
                name=ns.name,
                tier=ns.tier,
                region_code=ns.region_code,
                department=ns.department,
            )

    def candidates(self, *, session: Session) -> Iterator[Candidate]:
        records = tabular.read(
            self.path,
            fmt=self.fmt,
            required=REQUIRED,
            format_name="QA sheet",
            aliases=ALIASES,
            what="fill in the QA-sheet template (lianxin ingest template) with the columns 问题 and 答案 at least",
        )
        topics = {t.code: t.code for t in kb_service.list_topics(session=session)}
        topics |= {t.name: t.code for t in kb_service.list_topics(session=session)}
        for n, rec in records:
            yield self._candidate(session, n, rec, topics)

    def _candidate(self, session: Session, n: int, rec: dict[str, Any], topics: dict[str, str]) -> Candidate:
        assert self._source is not None
        src = self._source
        errors: list[RowError] = []

        def err(field: str | None, problem: str, fix: str) -> None:
            errors.append(RowError(n, field, problem, fix))

        if tabular.ROW_ERROR in rec:
            err(None, rec[tabular.ROW_ERROR], "write one JSON object per line")
            return Candidate(row=n, entry=None, errors=errors, key_field="外部编号")
        question, answer = text(rec.get("问题")), text(rec.get("答案"))
        if not question:
            err("问题", "the question is missing", "write the question in 问题, or delete the row")
        if not answer:
            err(
                "答案",
                "the answer is missing",
                "write the official answer (答复口径) in 答案, or delete the row",
            )

        region = src.region_code
        if text(rec.get("地区")):
            try:
                region = resolve_region(session=session, value=rec.get("地区"))
            except ValueError as exc:
                err("地区", str(exc), "write a region name such as 天水市 or a GB/T 2260 code such as 620500")
        if region and self.region_scope is not None and region not in self.region_scope:
            err("地区", f"region {region} is outside your scope", "import only rows of your own region")

        department = text(rec.get("部门")) or src.department
        if self.only_department is not None and department not in (None, self.only_department):
            err(
                "部门",
                f"{department!r} is not your department ({self.only_department})",
                "leave 部门 empty or write your own department; other departments import their own rows",
            )
        if self.only_department is not None:
            department = self.only_department

        dates = {}
        for col in ("生效日期", "失效日期"):
            try:
                dates[col] = parse_date(rec.get(col))
            except ValueError as exc:
                err(col, str(exc), "write the date as YYYY-MM-DD, e.g. 2024-03-01")
        start, end = dates.get("生效日期"), dates.get("失效日期")
        if start and end and end < start:
            err("失效日期", f"失效日期 {end} is before 生效日期 {start}", "swap or correct the two dates")

        topic_codes = []
        for t in _TOPIC_SPLIT.split(text(rec.get("专题"))):
            if t.strip():
                if t.strip() in topics:
                    topic_codes.append(topics[t.strip()])
                else:
                    err(
                        "专题",
                        f"unknown topic {t.strip()!r}",
                        f"use one of: {', '.join(sorted(topics)) or '(none yet)'}",
                    )

        key = text(rec.get("外部编号"))
        if key:
            external_key = f"{src.code}:{key}"
        else:
            digest = hashlib.sha1(f"{region or ''}|{question}".encode()).hexdigest()[:16]
            external_key = f"{src.code}:q:{digest}"
        if errors:
            return Candidate(row=n, entry=None, errors=errors, key_field="外部编号" if key else "问题")
        matter = text(rec.get("事项"))
        try:
            entry = EntryCreate(
                question=question,
                similar_questions=split_similar(rec.get("相似问题")),
                answer=answer,
                source_code=src.code,
                region_code=region,
                department=department,
                topics=topic_codes,
                effective_from=start,
                expires_at=end,
                policy_ref=text(rec.get("政策依据")) or None,
                matter_key=normalise_name(matter) if matter else None,
                status=self.status,  # type: ignore[arg-type]
                external_key=external_key,
            )
        except ValidationError as exc:
            for e in exc.errors():
                field = {"question": "问题", "answer": "答案"}.get(str(e["loc"][0]) if e["loc"] else "")
                err(field, e["msg"], "correct the cell")
            return Candidate(row=n, entry=None, errors=errors, key_field="外部编号")
        return Candidate(row=n, entry=entry, key_field="外部编号" if key else "问题")


def template_xlsx() -> bytes:
    """The QA-sheet template: the column header, one example row, and a sheet explaining each column."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "一问一答"
    ws.append(list(COLUMNS))
    ws.append([EXAMPLE[c] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJK", (30, 30, 60, 10, 16, 16, 12, 12, 24, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    for cell in ws[2]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws = wb.create_sheet("说明")
    help_ws.append(["列", "必填", "说明"])
    for line in (__doc__ or "").splitlines():
        m = re.match(r"^(\S+)\s{2,}(yes|no)\s{2,}(.*)$", line)
        if m:
            help_ws.append([m.group(1), "是" if m.group(2) == "yes" else "否", m.group(3)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
