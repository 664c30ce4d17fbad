"""What an import reports: counts, and one ``RowError`` per problem (row, field, problem, fix)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    """One problem in one row. ``row`` is the spreadsheet row / file line (header = 1); None for the file."""

    row: int | None
    field: str | None
    problem: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    """The result of one import; ``to_json`` is the `lianxin ingest --json` contract (exactly these keys)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    # not part of the JSON contract: for humans and callers
    dry_run: bool = False
    written: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.to_dict() for e in self.errors],
        }

    def summary(self) -> str:
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"
        if self.dry_run:
            return f"dry run, nothing written: {counts}"
        return counts if self.written else f"nothing written: {counts}"
