"""Evaluation sets: load them (JSONL, CSV, xlsx) and check them against the KB.

The format is the one of ../shared/eval/README.md. A set is a folder holding any of
``kb_queries``, ``out_of_kb``, ``tickets`` and ``gov_messages_gold``, each as ``.jsonl``,
``.csv`` or ``.xlsx``. In CSV and xlsx the ``expect`` column holds either the JSON list of the
JSONL format or external keys separated by ``;`` (``gd_matters:<TASK_CODE>:location;covid_policy_qa:<id>``),
and booleans may be written true/false, 1/0, yes/no or 是/否.

Example::

    s = load_set(Path("../shared/eval"))
    report = validate_set(s, known_keys={"covid_policy_qa:26e1...", ...})
    report.missing  # [MissingKey(query_id="dev-q007", key="gd_matters:...:location")]
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eval.errors import DatasetError

KINDS = ("kb_queries", "out_of_kb", "tickets", "gov_messages_gold")
FORMATS = (".jsonl", ".csv", ".xlsx")
SENTIMENTS = ("angry", "anxious", "neutral")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", ""}


@dataclass(frozen=True)
class Query:
    """A citizen question: answerable (``expect`` non-empty) or out of the KB (``expect`` empty)."""

    id: str
    query: str
    region: str | None
    expect: tuple[str, ...]  # external keys of every acceptable entry
    style: str | None = None
    should: str | None = None
    category_l1: str | None = None
    urgent: bool | None = None

    @property
    def in_kb(self) -> bool:
        return bool(self.expect)


@dataclass(frozen=True)
class Ticket:
    """A labelled ticket (tickets) or citizen message with gold 一级分类 (gov_messages_gold)."""

    id: str
    text: str
    category_l1: str | None
    category_l2: str | None = None
    category_l3: str | None = None
    department: str | None = None
    urgent: bool | None = None
    sentiment: str | None = None
    region_name: str | None = None


@dataclass
class EvalSet:
    """One evaluation set: the four kinds, any of which may be empty."""

    name: str
    kb_queries: list[Query] = field(default_factory=list)
    out_of_kb: list[Query] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    gov_messages_gold: list[Ticket] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in KINDS}

    def is_empty(self) -> bool:
        return not any(self.counts.values())


@dataclass(frozen=True)
class MissingKey:
    query_id: str
    key: str


@dataclass
class ValidationReport:
    """What of a set cannot be scored against this KB: listed, never silently counted."""

    missing: list[MissingKey] = field(default_factory=list)
    # questions none of whose expected entries exist: excluded from the metrics
    unscorable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "missing_keys": [{"query_id": m.query_id, "key": m.key} for m in self.missing],
            "unscorable_queries": list(self.unscorable),
        }


def expected_key(item: dict[str, Any]) -> str:
    """``{"source": "gd_matters", "key": "X", "aspect": "location"}`` -> ``gd_matters:X:location``."""
    source, key = item.get("source"), item.get("key")
    if not source or not key:
        raise ValueError(f"an expected entry needs 'source' and 'key', got {item!r}")
    aspect = item.get("aspect")
    return f"{source}:{key}:{aspect}" if aspect else f"{source}:{key}"


def _parse_expect(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(expected_key(v) if isinstance(v, dict) else str(v).strip() for v in value)
    text = str(value).strip()
    if not text:
        return ()
    if text.startswith("["):
        return _parse_expect(json.loads(text))
    return tuple(part.strip() for part in text.replace("|", ";").split(";") if part.strip())


def _parse_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return None if text == "" else False
    raise ValueError(f"{value!r} is not a boolean: write true/false, 1/0, yes/no or 是/否")


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _need(row: dict[str, Any], name: str) -> str:
    value = _opt_str(row.get(name))
    if value is None:
        raise ValueError(f"column {name!r} is required and empty")
    return value


def _region(value: Any) -> str | None:
    # xlsx cells may hold 440100 as a number
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _opt_str(value)


def _to_query(row: dict[str, Any], kind: str) -> Query:
    expect = _parse_expect(row.get("expect"))
    if kind == "kb_queries" and not expect:
        raise ValueError("'expect' is empty: a kb_queries question needs at least one expected entry")
    return Query(
        id=_need(row, "id"),
        query=_need(row, "query"),
        region=_region(row.get("region")),
        expect=expect,
        style=_opt_str(row.get("style")),
        should=_opt_str(row.get("should")) or (None if expect else "escalate"),
        category_l1=_opt_str(row.get("category_l1")),
        urgent=_parse_bool(row.get("urgent")),
    )


def _to_ticket(row: dict[str, Any], kind: str) -> Ticket:
    sentiment = _opt_str(row.get("sentiment"))
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ValueError(f"sentiment {sentiment!r} is not one of {', '.join(SENTIMENTS)}")
    return Ticket(
        id=_need(row, "id"),
        text=_need(row, "text"),
        category_l1=_need(row, "category_l1")
        if kind == "gov_messages_gold"
        else _opt_str(row.get("category_l1")),
        category_l2=_opt_str(row.get("category_l2")),
        category_l3=_opt_str(row.get("category_l3")),
        department=_opt_str(row.get("department")),
        urgent=_parse_bool(row.get("urgent")),
        sentiment=sentiment,
        region_name=_opt_str(row.get("region_name")),
    )


def _rows_jsonl(data: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(_decode(data, name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{name} line {n}: not valid JSON ({exc.msg}): fix or remove that line"
            ) from exc
        if not isinstance(obj, dict):
            raise DatasetError(f"{name} line {n}: expected a JSON object per line, got {type(obj).__name__}")
        yield n, obj


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{name} is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in Excel)") from exc


def _rows_csv(data: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(_decode(data, name)))
    for n, row in enumerate(reader, start=2):
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            yield n, {k.strip(): v for k, v in row.items() if k}


def _rows_xlsx(data: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DatasetError(
            f"{name} is not a readable xlsx workbook ({exc}): save it again from Excel as .xlsx"
        ) from exc
    try:
        rows = wb.active.iter_rows(values_only=True) if wb.active is not None else iter(())
        header = next(rows, None)
        if header is None:
            return
        names = [str(h).strip() if h is not None else "" for h in header]
        for n, values in enumerate(rows, start=2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            yield n, {k: v for k, v in zip(names, values, strict=False) if k}
    finally:
        wb.close()


READERS = {".jsonl": _rows_jsonl, ".csv": _rows_csv, ".xlsx": _rows_xlsx}


def parse_file(data: bytes, *, name: str, kind: str, warnings: list[str] | None = None) -> list[Any]:
    """Parse one file's bytes (format from ``name``'s suffix) as a set of ``kind``.

    A repeated id is kept under ``<id>#2`` (the dev gold set repeats one message with two labels)
    and noted in ``warnings``, so per-question results stay addressable and nothing is dropped.
    """
    if kind not in KINDS:
        raise DatasetError(f"unknown set kind {kind!r}: use one of {', '.join(KINDS)}")
    suffix = Path(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise DatasetError(f"{name}: unsupported format {suffix or '(none)'}: use .jsonl, .csv or .xlsx")
    convert = _to_query if kind in ("kb_queries", "out_of_kb") else _to_ticket
    items: list[Any] = []
    seen: set[str] = set()
    for n, row in reader(data, name):
        try:
            item = convert(row, kind)
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{name} row {n}: {exc}") from exc
        if item.id in seen:
            new_id = next(f"{item.id}#{i}" for i in range(2, len(seen) + 3) if f"{item.id}#{i}" not in seen)
            if warnings is not None:
                warnings.append(f"{name} row {n}: id {item.id!r} repeats an earlier row: kept as {new_id!r}")
            item = replace(item, id=new_id)
        seen.add(item.id)
        items.append(item)
    return items


def kind_of(name: str) -> str:
    """The set kind a file name stands for (``kb_queries.csv`` -> ``kb_queries``)."""
    stem = Path(name).name.split(".")[0]
    if stem not in KINDS:
        raise DatasetError(
            f"{name}: name the file after its kind, one of {', '.join(KINDS)} (e.g. kb_queries.csv)"
        )
    return stem


def from_files(files: Iterable[tuple[str, bytes]], *, name: str) -> EvalSet:
    """A set from (file name, bytes) pairs, e.g. an upload; the kind comes from each file's name."""
    eval_set = EvalSet(name=name)
    for filename, data in files:
        kind = kind_of(filename)
        if getattr(eval_set, kind):
            raise DatasetError(f"{filename}: {kind} given twice: send one file per kind")
        setattr(eval_set, kind, parse_file(data, name=filename, kind=kind, warnings=eval_set.warnings))
    if eval_set.is_empty():
        raise DatasetError(
            f"set {name!r} has no questions or tickets: add at least one of {', '.join(KINDS)}"
        )
    return eval_set


def load_set(path: Path) -> EvalSet:
    """Load every kind found in the folder ``path`` (a single file is loaded as its kind)."""
    if path.is_file():
        return from_files([(path.name, path.read_bytes())], name=path.stem)
    if not path.is_dir():
        raise DatasetError(f"{path} does not exist: pass a folder holding kb_queries.jsonl, tickets.csv, ...")
    files: list[tuple[str, bytes]] = []
    for kind in KINDS:
        found = [path / f"{kind}{fmt}" for fmt in FORMATS if (path / f"{kind}{fmt}").is_file()]
        if len(found) > 1:
            raise DatasetError(
                f"{path} holds {kind} in several formats ({', '.join(p.name for p in found)}): keep one"
            )
        files.extend((p.name, p.read_bytes()) for p in found)
    if not files:
        raise DatasetError(
            f"{path} holds no set file: expected one of {', '.join(k + '.jsonl' for k in KINDS)} (or .csv/.xlsx)"
        )
    return from_files(files, name=path.name)


def validate_set(eval_set: EvalSet, *, known_keys: set[str]) -> ValidationReport:
    """List every expected key that is not in the KB, and the questions left with none."""
    report = ValidationReport()
    for q in eval_set.kb_queries:
        missing = [k for k in q.expect if k not in known_keys]
        report.missing.extend(MissingKey(q.id, k) for k in missing)
        if len(missing) == len(q.expect):
            report.unscorable.append(q.id)
    return report


def spoken_set(eval_set: EvalSet, seed: int) -> EvalSet:
    """The set's questions as speech recognition might deliver them (``lianxin eval --spoken SEED``).

    Each question of kb_queries and out_of_kb loses its punctuation and may gain a filler, a
    homophone or two and a final particle (``assistant.calibration.spoken``; one random stream per
    seed, so a seed always gives the same set). Expected entries, tickets and gold messages stay as
    they are: the measure is how much of the clean score survives the phone line.
    """
    import random

    from assistant.calibration import spoken

    rng = random.Random(seed)
    return replace(
        eval_set,
        name=f"{eval_set.name}+spoken{seed}",
        kb_queries=[replace(q, query=spoken(q.query, rng)) for q in eval_set.kb_queries],
        out_of_kb=[replace(q, query=spoken(q.query, rng)) for q in eval_set.out_of_kb],
    )
