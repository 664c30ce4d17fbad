"""The source types `lianxin ingest` knows, and how to build an adapter for one."""

from __future__ import annotations

from pathlib import Path

from ingest.covid_policy_qa import CovidPolicyQAAdapter
from ingest.errors import IngestError
from ingest.gd_matters import GdMattersAdapter
from ingest.gov_messages_cases import GovMessagesCasesAdapter
from ingest.qa_sheet import NewSource, QASheetAdapter
from ingest.runner import Adapter

SOURCE_TYPES = ("qa_sheet", "gd_matters", "covid_policy_qa", "gov_messages_cases")


def make_adapter(
    source_type: str,
    path: Path,
    *,
    status: str = "published",
    source_code: str | None = None,
    new_source: NewSource | None = None,
) -> Adapter:
    """An adapter for ``source_type`` reading ``path``; IngestError names what is missing."""
    if source_type == "qa_sheet":
        if not source_code:
            raise IngestError(
                "a QA sheet needs --source CODE: the source (department or region KB) it belongs to"
            )
        return QASheetAdapter(path, source_code=source_code, status=status, new_source=new_source)
    if source_code:
        raise IngestError(f"{source_type} always imports into its own source: leave out --source")
    if source_type == "gd_matters":
        return GdMattersAdapter(path, status=status)
    if source_type == "covid_policy_qa":
        return CovidPolicyQAAdapter(path, status=status)
    if source_type == "gov_messages_cases":
        return GovMessagesCasesAdapter(path, status=status)
    raise IngestError(f"unknown source type {source_type!r}: use one of {', '.join(SOURCE_TYPES)}")
