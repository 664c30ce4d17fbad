"""ORM models of the tickets package (filled in by its issue)."""

from __future__ import annotations
