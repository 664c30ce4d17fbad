"""ORM models of the eval package (filled in by its issue)."""

from __future__ import annotations
