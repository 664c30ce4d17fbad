"""`lianxin` commands of the assistant package."""

from __future__ import annotations

import typer

from assistant import classify_cli


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    classify_cli.register(app)
