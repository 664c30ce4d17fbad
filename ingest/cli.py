"""`lianxin ingest SOURCE_TYPE PATH` and `lianxin ingest-template PATH`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.errors import IngestError
from ingest.qa_sheet import NewSource, template_xlsx
from ingest.report import ImportReport, RowError
from ingest.runner import run_import
from ingest.sources import SOURCE_TYPES, make_adapter
from kb.cli import cli_session, console, print_json


def ingest(
    source_type: Annotated[str, typer.Argument(help=f"one of {', '.join(SOURCE_TYPES)}")],
    path: Annotated[Path, typer.Argument(help="the file to import")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and count, write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object (the report)")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="qa_sheet: the source code to import into")
    ] = None,
    good_rows_only: Annotated[
        bool,
        typer.Option("--good-rows-only", help="import the good rows even if some are bad (default: none)"),
    ] = False,
    status: Annotated[str, typer.Option(help="status of new entries: published or draft")] = "published",
    tier: Annotated[
        str | None, typer.Option(help="qa_sheet, new source: province|city|county|department|topic")
    ] = None,
    source_name: Annotated[str | None, typer.Option(help="qa_sheet, new source: its name")] = None,
    source_region: Annotated[str | None, typer.Option(help="qa_sheet, new source: GB/T 2260 code")] = None,
    source_department: Annotated[
        str | None, typer.Option(help="qa_sheet, new source: its department")
    ] = None,
) -> None:
    """Import a file into the KB in one transaction; every bad row is reported (row, field, problem, fix).

    Exit status: 0 imported (or dry run clean), 1 rows were rejected and nothing was written,
    2 the file or the options are unusable.
    """
    if status not in ("published", "draft"):
        _file_error(
            as_json, f"--status {status!r} is not allowed", "use --status published or --status draft"
        )
    new_source = None
    if tier:
        new_source = NewSource(
            name=source_name or source or "",
            tier=tier,
            region_code=source_region,
            department=source_department,
        )
    try:
        adapter = make_adapter(source_type, path, status=status, source_code=source, new_source=new_source)
        with cli_session() as session, _progress(as_json) as progress:
            task = progress.add_task(f"{source_type} {path.name}", total=None)
            report = run_import(
                session=session,
                adapter=adapter,
                dry_run=dry_run,
                good_rows_only=good_rows_only,
                actor=f"ingest:{source_type}",
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except IngestError as exc:
        _file_error(as_json, str(exc), "correct the file or the options and run the import again")
        return
    if as_json:
        print_json(report.to_json())
    else:
        _show(report)
    if report.rejected and not report.written and not dry_run:
        raise typer.Exit(1)


def ingest_template(
    path: Annotated[Path, typer.Argument(help="where to write the QA-sheet template (.xlsx)")] = Path(
        "qa_sheet_template.xlsx"
    ),
) -> None:
    """Write the QA-sheet template (the columns of `lianxin ingest qa_sheet`, with an example row)."""
    path.write_bytes(template_xlsx())
    console.print(f"template written to {path}")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


def _file_error(as_json: bool, problem: str, fix: str) -> None:
    if as_json:
        report = ImportReport(errors=[RowError(row=None, field=None, problem=problem, fix=fix)])
        print_json(report.to_json())
    else:
        console.print(f"[red]error:[/red] {problem}")
    raise typer.Exit(2)


def _show(report: ImportReport) -> None:
    out = Console()
    if report.errors:
        table = Table("row", "field", "problem", "fix", title=f"{report.rejected} rejected row(s)")
        for e in report.errors[:200]:
            table.add_row(str(e.row or ""), e.field or "", e.problem, e.fix)
        out.print(table)
        if len(report.errors) > 200:
            out.print(f"... and {len(report.errors) - 200} more problems (use --json for all)")
    if report.rejected and not report.written and not report.dry_run:
        out.print(
            "[red]nothing was written[/red]: fix the rows above, or import the good rows with --good-rows-only"
        )
    out.print(report.summary() + f" in {report.seconds:.1f}s")


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.command("ingest")(ingest)
    app.command("ingest-template")(ingest_template)
