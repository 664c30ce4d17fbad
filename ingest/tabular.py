"""Reading rows from xlsx, csv, tsv and jsonl files, with file-level errors that say what to do."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.errors import BadFile

# keys a row dict carries besides its columns: why a jsonl line could not be read, cells beyond the header
ROW_ERROR = "\0error"
EXTRA_CELLS = "\0extra"

FORMATS = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".json": "jsonl",
}


def read_bytes(path: Path, *, what: str) -> bytes:
    """The file's bytes; BadFile when it is missing or empty."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"cannot read {path}: {exc.strerror}: check the path") from exc
    if not raw.strip():
        raise BadFile(f"{path} is empty: {what}")
    return raw


def decode(raw: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel writes Chinese CSV; BadFile for binary data."""
    if b"\x00" in raw[:4096] or raw[:4] == b"PK\x03\x04":
        raise BadFile(
            f"{path} is a binary file, not text: save it as UTF-8 CSV/TSV/JSON lines, or give an .xlsx name"
        )
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise BadFile(f"{path} is neither UTF-8 nor GB18030 text: save it as UTF-8")


def read(
    path: Path,
    *,
    what: str,
    fmt: str | None = None,
    required: tuple[str, ...] = (),
    format_name: str = "",
    aliases: dict[str, str] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Every non-empty data row as (row number, {column: value}); the header is row 1 (jsonl: line numbers).

    ``fmt`` overrides the extension (xlsx, csv, tsv, jsonl). BadFile when the file is empty, unreadable,
    has no data rows, or its header (for jsonl: its first object) lacks a ``required`` column.
    ``aliases`` renames columns (other name → canonical name) before the check.
    """
    path = Path(path)
    records = list(_rows(path, fmt=fmt, what=what))
    if aliases:
        records = [(n, {aliases.get(k, k): v for k, v in r.items()}) for n, r in records]
    if not records:
        raise BadFile(f"{path.name} has a header but no data rows: {what}")
    first = next((r for _, r in records if ROW_ERROR not in r), {})
    missing = [c for c in required if c not in first]
    if missing:
        raise BadFile(
            f"{path.name} is not in the {format_name} format: the column(s) {', '.join(missing)} are missing "
            f"(found: {', '.join(k for k in first if not k.startswith(chr(0))) or 'none'}); {what}"
        )
    return records


def _rows(path: Path, *, fmt: str | None, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadFile(f"{path.name}: unsupported file type {path.suffix!r}: use .xlsx, .csv or .jsonl")
    raw = read_bytes(path, what=what)
    if fmt == "xlsx":
        yield from _xlsx(raw, path)
    elif fmt == "jsonl":
        yield from _jsonl(decode(raw, path), path)
    else:
        yield from _delimited(decode(raw, path), path, "\t" if fmt == "tsv" else ",")


def _header(cells: list[Any], path: Path) -> list[str]:
    header = ["" if c is None else str(c).strip() for c in cells]
    if not any(header):
        raise BadFile(f"{path.name}: row 1 has no column names: put the column headers in the first row")
    return header


def _xlsx(raw: bytes, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadFile(
            f"{path.name} is not an Excel .xlsx workbook ({type(exc).__name__}): open it in Excel or WPS and "
            "save as .xlsx, or give a .csv/.jsonl file its own extension"
        ) from exc
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
        if first is None:
            raise BadFile(
                f"{path.name}: the first sheet is empty: fill in the template (header row + one row per QA)"
            )
        header = _header(list(first), path)
        for n, values in enumerate(it, 2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            yield n, {h: v for h, v in zip(header, values, strict=False) if h}
    finally:
        wb.close()


def _delimited(content: str, path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    first = next(reader, None)
    if first is None:
        raise BadFile(f"{path.name} is empty: put the column headers in the first row")
    header = _header(first, path)
    # rows count records (as a spreadsheet shows them), not physical lines: quoted cells may hold newlines
    for n, values in enumerate(reader, 2):
        if not any(v.strip() for v in values):
            continue
        record: dict[str, Any] = {h: v for h, v in zip(header, values, strict=False) if h}
        if len(values) > len(header):
            record[EXTRA_CELLS] = values[len(header) :]
        yield n, record


def _jsonl(content: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == 1:
                raise BadFile(f"{path.name} is not JSON lines: line 1 is not JSON ({exc.msg})") from exc
            yield n, {ROW_ERROR: f"not valid JSON ({exc.msg} at column {exc.colno})"}
            continue
        if not isinstance(obj, dict):
            yield n, {ROW_ERROR: "the line is JSON but not an object"}
            continue
        yield n, obj
