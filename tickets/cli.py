"""`lianxin calendar ...`, `lianxin tickets ...` and `lianxin kpi` commands."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from kb.cli import cli_session, console, fail, print_json
from tickets.errors import TicketError

calendar_app = typer.Typer(
    help="Working-day calendar (China's official holidays and make-up days).", no_args_is_help=True
)
tickets_app = typer.Typer(help="Tickets (工单): overdue sweep, units.", no_args_is_help=True)


@calendar_app.command("add")
def calendar_add(
    start: Annotated[str, typer.Argument(help="ISO date or time; a naive time is Asia/Shanghai")],
    n: Annotated[int, typer.Argument(help="working days to add")],
    as_json: Annotated[bool, typer.Option("--json", help='print {"due": ISO time}')] = False,
) -> None:
    """The end (23:59:59 Asia/Shanghai) of the N-th working day after START's date."""
    from tickets import service
    from tickets.calendar import parse_start

    try:
        moment = parse_start(start)
        with cli_session() as session:
            due = service.calendar(session=session).add_working_days(moment, n)
    except TicketError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json({"due": due.isoformat()})
    else:
        typer.echo(due.isoformat())


@calendar_app.command("is-workday")
def calendar_is_workday(
    day: Annotated[str, typer.Argument(help="ISO date, e.g. 2025-10-11")],
    as_json: Annotated[bool, typer.Option("--json", help='print {"date": ..., "workday": bool}')] = False,
) -> None:
    """Whether DAY is a working day (exit status 0 if it is, 1 if not)."""
    from tickets import service
    from tickets.calendar import parse_date

    try:
        d = parse_date(day)
        with cli_session() as session:
            cal = service.calendar(session=session)
    except TicketError as exc:
        fail(str(exc))
        return
    workday = cal.is_workday(d)
    if not cal.covers(d.year):
        console.print(f"[yellow]warning:[/yellow] no official calendar for {d.year}: weekdays assumed")
    if as_json:
        print_json({"date": d.isoformat(), "workday": workday})
    else:
        typer.echo("workday" if workday else "rest day")
    raise typer.Exit(0 if workday else 1)


@calendar_app.command("override")
def calendar_override(
    day: Annotated[str, typer.Argument(help="ISO date")],
    workday: Annotated[bool, typer.Option("--workday/--holiday", help="make it a working day or a day off")],
    note: Annotated[str, typer.Option(help="why, e.g. the notice it comes from")] = "",
) -> None:
    """Admins: declare a date a working day or a day off (overrides the bundled calendar)."""
    from tickets import service
    from tickets.calendar import parse_date

    try:
        d = parse_date(day)
        with cli_session() as session:
            service.set_calendar_override(session=session, day=d, workday=workday, note=note, actor="cli")
    except TicketError as exc:
        fail(str(exc))
        return
    console.print(f"{d}: {'working day' if workday else 'day off'}")


@tickets_app.command("sweep")
def tickets_sweep(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Mark overdue tickets and raise reminders (safe to run from several workers at once)."""
    from tickets import service

    with cli_session() as session:
        report = service.sweep(session=session)
    if as_json:
        print_json(report.__dict__)
    else:
        console.print(
            f"checked {report.checked}, newly overdue {report.marked}, reminders {report.reminders}"
        )


@tickets_app.command("seed-units")
def tickets_seed_units() -> None:
    """Add the demo units (22 departments in 兰州市 and 天水市); idempotent."""
    from tickets import service

    with cli_session() as session:
        added = service.seed_demo_units(session=session)
    console.print(f"{added} units added")


def kpi(
    start: Annotated[str | None, typer.Option("--from", help="first date (ISO), inclusive")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last date (ISO), exclusive")] = None,
    period: Annotated[str, typer.Option(help="day | week | month")] = "month",
    region: Annotated[str | None, typer.Option(help="only this region and the regions below it")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Hotline KPIs: 直接答复率, 办结率, 按时办结率, 满意率, 退单率, dispatch time, overdue counts."""
    from kb import service as kb_service
    from kb.errors import KBError
    from tickets import kpi as kpi_mod
    from tickets.calendar import parse_date

    try:
        s: date | None = parse_date(start) if start else None
        e: date | None = parse_date(end) if end else None
        with cli_session() as session:
            codes = kb_service.region_subtree(session=session, code=region) if region else None
            out = kpi_mod.compute(session=session, start=s, end=e, region_codes=codes, period=period)
    except (TicketError, KBError) as exc:
        fail(str(exc))
        return
    if as_json:
        print_json(out)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("figure", "value", title="overall")
    for k, v in out["overall"].items():
        table.add_row(k, str(v))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main CLI."""
    app.add_typer(calendar_app, name="calendar")
    app.add_typer(tickets_app, name="tickets")
    app.command("kpi")(kpi)
