"""Citizen messages with official replies (gov_messages 附件4) → 典型案例 case entries.

Columns: 留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 答复意见, 答复时间. One row gives one entry of
kind ``case``: question = 留言主题, answer = the message and the reply as a readable case record.
Agents find cases as references; ``kind="case"`` is how retrieval and the assistant know never to give
them to a citizen as a direct answer. Source ``gov_messages`` (tier topic, no region: the messages come
from a de-identified province, 西地省); external_key ``gov_messages:<留言编号>``. Published, so agents
can search them.

A reply that says nothing beyond a greeting, an acknowledgement (留言已收悉) or a date is rejected:
as a reference it would teach nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ingest import tabular
from ingest.report import RowError
from ingest.runner import Candidate
from ingest.validation import text
from kb import service as kb_service
from kb.schemas import EntryCreate

SOURCE_CODE = "gov_messages"
COLUMNS = ("留言编号", "留言主题", "留言详情", "答复意见")
_NOISE = re.compile(
    r"网友|网民|您好|你好|谢谢|感谢您?的?留言|\d{4}年\d{1,2}月\d{1,2}日|“[^”]*”|[\s\u3000，,。.！!：:、；;]"
)
_ACK_ONLY = re.compile(r"^(您的|你的)?(留言|问题|来信)?(已)?收悉$")


def substantive(reply: str) -> bool:
    """False for replies that only greet, acknowledge receipt or give a date."""
    core = _NOISE.sub("", reply)
    return len(core) >= 4 and not _ACK_ONLY.match(core)


def _when(value: str) -> str:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    raise ValueError(value)


class GovMessagesCasesAdapter:
    source_type = "gov_messages_cases"

    def __init__(self, path: Path, *, status: str = "published"):
        self.path = Path(path)
        self.status = status

    def prepare(self, *, session: Session) -> None:
        kb_service.ensure_source(session=session, code=SOURCE_CODE, name="问政留言典型案例", tier="topic")

    def candidates(self, *, session: Session) -> Iterator[Candidate]:
        records = tabular.read(
            self.path,
            required=COLUMNS,
            format_name="gov_messages 附件4",
            what="give 附件4 (留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 答复意见, 答复时间) as .csv or .xlsx",
        )
        for n, rec in records:
            yield self._candidate(n, rec)

    def _candidate(self, n: int, rec: dict[str, object]) -> Candidate:
        errors: list[RowError] = []
        mid, subject = text(rec.get("留言编号")), text(rec.get("留言主题"))
        detail, reply = text(rec.get("留言详情")), text(rec.get("答复意见"))
        if not mid:
            errors.append(RowError(n, "留言编号", "留言编号 is empty", "give every message its number"))
        if not subject:
            errors.append(RowError(n, "留言主题", "留言主题 is empty", "give the message's subject"))
        if not reply:
            errors.append(
                RowError(n, "答复意见", "答复意见 is empty", "add the official reply, or leave the row out")
            )
        elif not substantive(reply):
            errors.append(
                RowError(
                    n,
                    "答复意见",
                    f"the reply {reply[:30]!r} only acknowledges receipt: nothing to learn from",
                    "add the reply that answered the citizen, or leave the row out",
                )
            )
        dates: dict[str, str] = {}
        for col in ("留言时间", "答复时间"):
            raw = text(rec.get(col))
            if raw:
                try:
                    dates[col] = _when(raw)
                except ValueError:
                    errors.append(RowError(n, col, f"{raw!r} is not a date", "write it as 2019/4/25 9:32:09"))
        if errors:
            return Candidate(row=n, entry=None, errors=errors, key_field="留言编号")
        asked = f"（{dates['留言时间']}）" if "留言时间" in dates else ""
        replied = f"（{dates['答复时间']}）" if "答复时间" in dates else ""
        answer = f"【群众留言】{asked}{detail or subject}\n\n【答复意见】{replied}{reply}"
        try:
            entry = EntryCreate(
                question=subject,
                answer=answer,
                kind="case",
                source_code=SOURCE_CODE,
                status=self.status,  # type: ignore[arg-type]
                external_key=f"{SOURCE_CODE}:{mid}",
                extra={"user": text(rec.get("留言用户")), **dates},
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            return Candidate(
                row=n,
                entry=None,
                key_field="留言编号",
                errors=[RowError(n, None, err["msg"], "shorten or correct the row")],
            )
        return Candidate(row=n, entry=entry, key_field="留言编号")
