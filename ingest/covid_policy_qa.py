"""The covid_policy_qa TSV (``NCPPolicies_train_20200301.tsv``: id, docid, question, answer) → QA entries.

Source ``covid_policy_qa`` (tier topic, no region: the answers come from central and many local
notices of 2020); external_key ``covid_policy_qa:<id>``; the docid of the notice the answer was
taken from is kept in ``extra``. Entries are published: they are extracted from official notices.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ingest import tabular
from ingest.report import RowError
from ingest.runner import Candidate
from ingest.validation import text
from kb import service as kb_service
from kb.schemas import EntryCreate

SOURCE_CODE = "covid_policy_qa"
COLUMNS = ("id", "docid", "question", "answer")


class CovidPolicyQAAdapter:
    source_type = "covid_policy_qa"

    def __init__(self, path: Path, *, status: str = "published"):
        self.path = Path(path)
        self.status = status

    def prepare(self, *, session: Session) -> None:
        kb_service.ensure_source(session=session, code=SOURCE_CODE, name="新冠疫情政策问答", tier="topic")

    def candidates(self, *, session: Session) -> Iterator[Candidate]:
        records = tabular.read(
            self.path,
            fmt="tsv",
            required=COLUMNS,
            format_name="covid_policy_qa",
            what="give the covid_policy_qa TSV (tab-separated header: id, docid, question, answer)",
        )
        for n, rec in records:
            yield self._candidate(n, rec)

    def _candidate(self, n: int, rec: dict[str, str]) -> Candidate:
        errors = []
        qid, question, answer = text(rec.get("id")), text(rec.get("question")), text(rec.get("answer"))
        if not qid:
            errors.append(RowError(n, "id", "id is empty", "give every row its id"))
        if not question:
            errors.append(
                RowError(n, "question", "question is empty", "write the question or delete the row")
            )
        if not answer:
            errors.append(RowError(n, "answer", "answer is empty", "write the answer or delete the row"))
        if tabular.EXTRA_CELLS in rec:
            errors.append(
                RowError(
                    n,
                    None,
                    "the row has more cells than the header",
                    "remove stray tab characters inside the question or answer",
                )
            )
        if errors:
            return Candidate(row=n, entry=None, errors=errors, key_field="id")
        try:
            entry = EntryCreate(
                question=question,
                answer=answer,
                source_code=SOURCE_CODE,
                status=self.status,  # type: ignore[arg-type]
                external_key=f"{SOURCE_CODE}:{qid}",
                extra={"docid": text(rec.get("docid"))},
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else None
            return Candidate(
                row=n,
                entry=None,
                key_field="id",
                errors=[RowError(n, field, err["msg"], "shorten or correct the cell")],
            )
        return Candidate(row=n, entry=entry, key_field="id")
