"""`lianxin kb ...` commands, and the CLI helpers every package's commands share."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from kb import federation
from kb import service as kb_service
from kb.config import get_settings
from kb.db import make_engine, make_sessionmaker, transaction

console = Console(stderr=True)


@contextmanager
def cli_session() -> Iterator[Session]:
    """One transaction against the configured database (committed on success)."""
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (the machine-readable contract of --json)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 2) -> None:
    """Say what is wrong and what to do, then exit non-zero."""
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


kb_app = typer.Typer(help="Knowledge base: statistics and federation conflicts.", no_args_is_help=True)


@kb_app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Counts of entries by source, status and kind."""
    with cli_session() as session:
        s = kb_service.stats(session=session)
    if as_json:
        print_json(s)
        return
    table = Table("source", "entries", title=f"{s['entries']} entries (KB revision {s['revision']})")
    for code, n in sorted(s["by_source"].items()):
        table.add_row(code, str(n))
    Console().print(table)
    Console().print("by status: " + ", ".join(f"{k}={v}" for k, v in s["by_status"].items()))


@kb_app.command("conflicts")
def conflicts(as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Matters whose tiers disagree on facts (phone, location, time limit), for review."""
    with cli_session() as session:
        found = federation.conflicts(session=session)
    if as_json:
        print_json({"conflicts": [c.__dict__ for c in found], "count": len(found)})
        return
    table = Table("matter", "aspect", "fact", "values by tier", title=f"{len(found)} conflicts")
    for c in found:
        table.add_row(
            c.matter_key,
            c.aspect or "",
            c.fact,
            "\n".join(f"{k}: {', '.join(v)}" for k, v in c.values.items()),
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
