"""The `lianxin` command line: each package registers its own commands here."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

import assistant.cli
import eval.cli
import ingest.cli
import kb.cli
import retrieval.cli
import tickets.cli
from kb.cli import cli_session, console, fail
from kb.config import get_settings

app = typer.Typer(help="连心 lianxin: 12345 hotline knowledge base and assistant.", no_args_is_help=True)
for module in (kb.cli, ingest.cli, tickets.cli, retrieval.cli, assistant.cli, eval.cli):
    module.register(app)


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="load the bundled Gansu demo KB and demo tokens")
    ] = False,
) -> None:
    """Create or upgrade the database schema and load Gansu's regions (idempotent)."""
    from api import migrate
    from kb import service as kb_service

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    with cli_session() as session:
        added = kb_service.load_bundled_regions(session=session)
    console.print(f"database ready at {settings.database_url} ({added} regions added)")
    if demo:
        from api.demo import load_demo

        if not settings.demo_tokens:
            fail("demo tokens are disabled (LIANXIN_DEMO_TOKENS=false): load the demo KB only in development")
        with cli_session() as session:
            report = load_demo(session=session)
        console.print(report)


@app.command()
def token(
    role: Annotated[
        str, typer.Option(help="citizen | agent | department_editor | reviewer | admin | unit_user | manager")
    ],
    name: Annotated[str, typer.Option(help="who the token is for")],
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code of the principal's scope")] = None,
    department: Annotated[str | None, typer.Option(help="department, for department roles")] = None,
    unit: Annotated[int | None, typer.Option(help="unit id, for unit_user")] = None,
) -> None:
    """Issue an API token for a principal (printed once; only its hash is stored)."""
    from api.auth import create_token

    with cli_session() as session:
        value = create_token(
            session=session, name=name, role=role, region_code=region, department=department, unit_id=unit
        )
    typer.echo(value)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from api import logs

    logging.getLogger().setLevel(logging.INFO)  # main() set WARNING for the other commands
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=logs.uvicorn_log_config(),
    )


def main() -> None:
    from api import logs

    logs.install(logging.WARNING)  # commands report through rich; logs only for what goes wrong
    app()
