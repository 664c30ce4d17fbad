"""Errors of the ingest package.

    IngestError
    ├── BadFile          the file as a whole cannot be read: empty, wrong format, missing columns
    └── UnknownSource    a QA sheet names a source the KB does not have and gives no way to create it

Row-level problems are not exceptions: they are ``RowError`` items in the import report, so one
bad row never hides the others.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of all ingest errors."""


class BadFile(IngestError):
    """The file cannot be imported at all; the message says what is wrong and what to do."""


class UnknownSource(IngestError):
    pass
