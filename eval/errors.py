"""Errors of the evaluation harness.

    EvalError
    ├── DatasetError      a set file that cannot be read or breaks the format (says file, row, fix)
    ├── KBNotReady        the KB under evaluation lacks the sources a set needs
    ├── ComponentMissing  a suite needs a component (retrieval, assistant, classifier) that is absent
    └── RunNotFound       no stored evaluation run with that id

Every message says what is wrong and what to do about it.
"""

from __future__ import annotations


class EvalError(Exception):
    """Base of all evaluation errors."""


class DatasetError(EvalError):
    pass


class KBNotReady(EvalError):
    pass


class ComponentMissing(EvalError):
    pass


class RunNotFound(EvalError):
    pass
