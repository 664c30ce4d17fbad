"""ORM models of the assistant package (filled in by its issue)."""

from __future__ import annotations
