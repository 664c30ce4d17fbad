"""`lianxin classify`, `classify-train` and `classify-eval`: ticket classification from the command line."""

from __future__ import annotations

from typing import Annotated

import typer


def _classifier(*, retrain: bool = False, threshold: float | None = None):
    from assistant.classify import classifier_from_settings
    from kb.config import get_settings

    return classifier_from_settings(get_settings(), retrain=retrain, threshold=threshold)


def classify(
    text: Annotated[
        str, typer.Argument(help="ticket content (the agent's summary or the citizen's message)")
    ],
    region: Annotated[str | None, typer.Option(help="caller's region name, e.g. 兰州市城关区")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object (the contract keys)")
    ] = False,
) -> None:
    """Predict category L1/L2/L3, department, urgency and sentiment of one ticket."""
    from kb.cli import console, fail, print_json

    if not text.strip():
        fail("empty text: pass the ticket content, e.g. lianxin classify '小区暖气不热' --json")
    result = _classifier().classify(text, region_name=region)
    if result.category_l1 is None and result.error:
        fail(result.error)
    if result.error:
        console.print(f"[yellow]degraded:[/yellow] {result.error}")
    if as_json:
        print_json(result.contract())
        return
    for key, value in result.contract().items():
        typer.echo(f"{key:14} {value}")
    typer.echo(f"{'route_rule':14} {result.route_rule}")
    typer.echo(f"{'category_by':14} {result.category_by}")
    if result.urgent_reasons:
        typer.echo(f"{'urgent_rules':14} {', '.join(result.urgent_reasons)}")


def classify_train(
    retrain: Annotated[bool, typer.Option(help="train even if the cached model matches the data")] = True,
    catalogue: Annotated[
        bool,
        typer.Option("--catalogue", help="also rebuild the catalogue's category routes from 附件4 replies"),
    ] = False,
) -> None:
    """(Re)train the category model on the shared gov_messages data and cache it under var/models."""
    from kb.cli import console, fail, print_json

    clf = _classifier(retrain=retrain)
    if clf.model is None:
        fail(clf.error or "no training data")
    print_json(clf.params)
    if catalogue:
        from assistant.catalogue_build import rebuild_categories
        from kb.config import get_settings

        n = rebuild_categories(clf, shared_data=get_settings().shared_data)
        console.print(f"catalogue: {n} category routes written")


def classify_eval(
    gold: Annotated[bool, typer.Option(help="L1 macro-F1 on the gold 495 (the test set)")] = True,
    tickets: Annotated[bool, typer.Option(help="routing/urgency/sentiment on the dev tickets")] = True,
    errors: Annotated[bool, typer.Option(help="also list the dev-ticket errors")] = False,
) -> None:
    """Measure the classifier: prints one JSON object of metrics."""
    from assistant.classify_eval import evaluate_gold, evaluate_tickets
    from kb.cli import fail, print_json
    from kb.config import get_settings

    eval_dir = get_settings().shared_eval
    if not eval_dir.exists():
        fail(f"eval sets not found at {eval_dir}: set LIANXIN_SHARED_EVAL")
    clf = _classifier()
    out: dict = {"model": clf.params, "error": clf.error}
    if gold:
        out["gold"] = evaluate_gold(clf, eval_dir / "gov_messages_gold.jsonl").metrics
    if tickets:
        report = evaluate_tickets(clf, eval_dir / "tickets.jsonl")
        out["tickets"] = report.metrics
        if errors:
            out["ticket_errors"] = [
                {
                    k: v
                    for k, v in i.items()
                    if k == "id" or k == "route_rule" or (isinstance(v, tuple) and v[0] != v[1])
                }
                for i in report.items
            ]
    print_json(out)


def register(app: typer.Typer) -> None:
    """Add the classification commands to the main CLI."""
    app.command("classify")(classify)
    app.command("classify-train")(classify_train)
    app.command("classify-eval")(classify_eval)
