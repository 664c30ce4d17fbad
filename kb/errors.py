"""Errors of the knowledge base.

    KBError
    ├── EntryNotFound          no entry with that id / key
    ├── SourceNotFound         unknown source code
    ├── RegionNotFound         unknown GB/T 2260 region code
    ├── StaleVersion           the caller edited an older version than the stored one
    ├── TransitionNotAllowed   a lifecycle step that the entry's status does not allow
    ├── ValidationFailed       content that breaks a rule (empty answer, expiry before start...)
    └── PermissionDenied       the principal's role or scope does not cover the entry

Every message says what is wrong and what to do about it.
"""

from __future__ import annotations


class KBError(Exception):
    """Base of all knowledge-base errors."""


class EntryNotFound(KBError):
    pass


class SourceNotFound(KBError):
    pass


class RegionNotFound(KBError):
    pass


class StaleVersion(KBError):
    pass


class TransitionNotAllowed(KBError):
    pass


class ValidationFailed(KBError):
    pass


class PermissionDenied(KBError):
    pass
