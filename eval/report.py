"""Reports of an evaluation run: a Markdown summary and a self-contained HTML page with plots.

Plots are drawn with matplotlib's Agg backend and embedded as PNG data URIs, so the page needs no
server and no network. Axis labels are numbers keyed to an HTML legend: the plots then render the
same with or without a CJK font installed.
"""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

from eval.runner import RunResult, SuiteResult

HEADLINE = (
    ("direct_answer_accuracy", "direct-answer accuracy"),
    ("wrong_answer_rate", "wrong-direct-answer rate (all questions)"),
    ("escalation_rate", "escalation rate (out of KB)"),
    ("recall_at_1", "Recall@1"),
    ("recall_at_5", "Recall@5"),
    ("recall_at_10", "Recall@10"),
    ("mrr_at_10", "MRR@10"),
    ("ndcg_at_10", "nDCG@10"),
    ("macro_f1_l1", "macro-F1 一级"),
    ("macro_f1_l2", "macro-F1 二级"),
    ("routing_accuracy", "routing accuracy"),
    ("urgent_recall", "urgency recall"),
    ("sentiment_accuracy", "sentiment accuracy"),
)
COMPARE = {
    "retrieval": ("recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10", "ndcg_at_10"),
    "answer": (
        "direct_answer_accuracy",
        "wrong_answer_rate",
        "escalation_rate",
        "answer_coverage",
        "answer_precision",
        "clarify_offers_expected",
        "answer_or_offer_accuracy",
    ),
    "classification": ("macro_f1_l1", "accuracy_l1", "macro_f1_l1_tickets", "macro_f1_l2"),
    "routing": ("routing_accuracy", "urgent_recall", "urgent_precision", "sentiment_accuracy"),
}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "—" if v is None else str(v)


# ---------------------------------------------------------------- plots


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(results: list[SuiteResult]) -> str:
    """Precision against coverage for each answer configuration, operating points marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for res in results:
        curve = res.extras.get("curve", [])
        line = ax.plot(
            [p["coverage"] for p in curve], [p["precision"] for p in curve], label=res.config, lw=1.8
        )[0]
        op = res.extras.get("operating_point")
        if op:
            ax.plot(
                [op["coverage"]],
                [op["precision"]],
                "o",
                ms=9,
                color=line.get_color(),
                label=f"{res.config}: operating point",
            )
    if results:
        ax.axhline(
            results[0].extras.get("precision_target", 0.9),
            ls=":",
            color="grey",
            lw=1,
            label="precision target",
        )
    ax.set_xlabel("coverage (share of all questions answered directly)")
    ax.set_ylabel("precision (share of direct answers correct)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Precision-coverage over the confidence threshold")
    return _png(fig)


def plot_confusion(matrix: list[list[int]], n_labels: int, title: str) -> str:
    """A confusion-matrix heat map; ticks are label numbers keyed to the legend beside it."""
    plt = _pyplot()
    size = max(4.0, 0.45 * n_labels + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    im = ax.imshow(matrix or [[0]], cmap="Blues")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if v:
                ax.text(
                    j,
                    i,
                    str(v),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > max(map(max, matrix)) / 2 else "black",
                )
    ticks = list(range(n_labels))
    ax.set_xticks(ticks, [str(t + 1) for t in ticks])
    ax.set_yticks(ticks, [str(t + 1) for t in ticks])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _png(fig)


def plot_retrieval(results: list[SuiteResult]) -> str:
    """Recall@1/5/10 and MRR@10 of each retrieval configuration, grouped bars."""
    plt = _pyplot()
    names = ("recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10")
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    width = 0.8 / max(1, len(results))
    for i, res in enumerate(results):
        ax.bar(
            [x + i * width for x in range(len(names))],
            [res.metrics[n] for n in names],
            width,
            label=res.config,
        )
    ax.set_xticks(
        [x + width * (len(results) - 1) / 2 for x in range(len(names))], ["R@1", "R@5", "R@10", "MRR@10"]
    )
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Retrieval by configuration")
    return _png(fig)


# ---------------------------------------------------------------- Markdown


def markdown(run: RunResult, *, title: str = "lianxin evaluation") -> str:
    """A short Markdown summary: headline metrics, configurations side by side, wrong answers."""
    summary = run.summary()
    lines = [f"# {title}: {run.set_name}", ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {label} | {_fmt(summary[key])} |" for key, label in HEADLINE if key in summary]
    lines.append("")
    for suite, keys in COMPARE.items():
        results = [s for s in run.suites if s.suite == suite]
        if not results:
            continue
        present = [k for k in keys if any(k in r.metrics for r in results)]
        lines += [
            f"## {suite}",
            "",
            "| configuration | " + " | ".join(present) + " |",
            "|---" * (len(present) + 1) + "|",
        ]
        for r in results:
            mark = " (primary)" if run.primary.get(suite) == r.config else ""
            lines.append(
                f"| {r.config}{mark} | " + " | ".join(_fmt(r.metrics.get(k)) for k in present) + " |"
            )
        lines.append("")
    wrong = _wrong_answers(run)
    if wrong:
        lines += [
            f"## Wrong direct answers ({len(wrong)})",
            "",
            "| id | question | answered | expected |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {w['id']} | {w['query'][:60]} | {w['got']} | {', '.join(w['expected'])} |" for w in wrong[:50]
        ]
        lines.append("")
    retrieval = run.result("retrieval")
    misses = [i for i in retrieval.items if not i["correct"]] if retrieval else []
    if retrieval and misses:
        lines += [
            f"## Retrieval misses at rank 1 ({len(misses)}, {retrieval.config})",
            "",
            "| id | question | rank of expected | top hit | expected |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {i['id']} | {i['query'][:60]} | {_fmt(i['rank'])} | {i['got'][0]['key'] if i['got'] else '—'} | {', '.join(i['expected'])} |"
            for i in misses[:50]
        ]
        lines.append("")
    missing = run.validation.get("missing_keys", [])
    if missing:
        lines += [f"## Expected keys not in the KB ({len(missing)})", ""]
        lines += [f"- {x['query_id']}: `{x['key']}`" for x in missing]
        lines.append("")
    if run.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in run.notes] + [""]
    return "\n".join(lines)


def _wrong_answers(run: RunResult) -> list[dict[str, Any]]:
    res = run.result("answer")
    return [i for i in res.items if i["decision"] == "answer" and not i["correct"]] if res else []


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}
th{background:#f3f3f3}tr.wrong td{background:#fff1f0}tr.right td{background:#f3fbf3}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0}figcaption{font-size:12px;color:#555}
code{font-size:12px}
"""


def _table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html(run: RunResult, *, title: str = "lianxin evaluation", run_id: int | None = None) -> str:
    """The full HTML report: metrics, comparisons, plots and per-question results."""
    summary = run.summary()
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}: {escape(run.set_name)}{f' (run {run_id})' if run_id else ''}</h1>",
        _table(
            ["metric", "value"],
            [[escape(label), _fmt(summary[key])] for key, label in HEADLINE if key in summary],
        ),
    ]
    for suite, keys in COMPARE.items():
        results = [s for s in run.suites if s.suite == suite]
        if not results:
            continue
        present = [k for k in keys if any(k in r.metrics for r in results)]
        parts.append(f"<h2>{suite}: configurations side by side</h2>")
        parts.append(
            _table(
                ["configuration", *present],
                [
                    [escape(r.config) + (" <b>(primary)</b>" if run.primary.get(suite) == r.config else "")]
                    + [_fmt(r.metrics.get(k)) for k in present]
                    for r in results
                ],
            )
        )
    plots = []
    answer = [s for s in run.suites if s.suite == "answer"]
    if answer:
        plots.append(
            (
                "precision-coverage",
                plot_curves(answer),
                "Precision–coverage curve; dots: the assistant's operating point",
            )
        )
    retrieval = [s for s in run.suites if s.suite == "retrieval"]
    if retrieval:
        plots.append(("retrieval", plot_retrieval(retrieval), "Retrieval metrics by configuration"))
    legends = []
    cls = run.result("classification")
    if cls is not None:
        labels = cls.extras["labels_l1"]
        plots.append(
            (
                "confusion-l1",
                plot_confusion(cls.extras["confusion_l1"], len(labels), "category L1 confusion"),
                f"Confusion matrix, 一级分类 ({cls.metrics['macro_f1_l1_set']})",
            )
        )
        legends.append(("L1 labels", labels))
    route = run.result("routing")
    if route is not None and route.extras.get("labels_department"):
        labels = route.extras["labels_department"]
        plots.append(
            (
                "confusion-department",
                plot_confusion(route.extras["confusion_department"], len(labels), "department confusion"),
                "Confusion matrix, routing department",
            )
        )
        legends.append(("departments", labels))
    if plots:
        parts.append("<h2>Plots</h2><div class='plots'>")
        for name, uri, caption in plots:
            parts.append(
                f"<figure><img class='plot' id='plot-{name}' alt='{escape(caption)}' src='{uri}'><figcaption>{escape(caption)}</figcaption></figure>"
            )
        parts.append("</div>")
        for name, labels in legends:
            parts.append(
                f"<p><b>{escape(name)}</b>: "
                + "; ".join(f"{i + 1} = {escape(str(x))}" for i, x in enumerate(labels))
                + "</p>"
            )
    parts.append(_items_html(run))
    missing = run.validation.get("missing_keys", [])
    if missing:
        parts.append(f"<h2>Expected keys not in the KB ({len(missing)})</h2>")
        parts.append(
            _table(
                ["question", "expected key"],
                [[escape(x["query_id"]), f"<code>{escape(x['key'])}</code>"] for x in missing],
            )
        )
    if run.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in run.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _items_html(run: RunResult) -> str:
    out = []
    answer = run.result("answer")
    if answer is not None:
        rows, classes = [], []
        for i in sorted(answer.items, key=lambda i: (i["correct"], i["id"])):
            rows.append(
                [
                    escape(i["id"]),
                    escape(i["query"]),
                    escape(i["decision"]),
                    f"<code>{escape(str(i['got'] or ''))}</code>",
                    "<br>".join(f"<code>{escape(k)}</code>" for k in i["expected"]),
                    _fmt(i["confidence"]),
                    escape(i["reason"][:120]),
                ]
            )
            classes.append("right" if i["correct"] else "wrong")
        out.append(f"<h2>Answer: per question ({answer.config}); wrong first</h2>")
        out.append(
            _table(
                ["id", "question", "decision", "answered entry", "expected", "confidence", "reason"],
                rows,
                classes,
            )
        )
    retrieval = run.result("retrieval")
    if retrieval is not None:
        rows, classes = [], []
        for i in sorted(retrieval.items, key=lambda i: (i["correct"], i["id"])):
            top = "<br>".join(
                f"<code>{escape(g['key'])}</code> {escape(g['question'][:40])}" for g in i["got"][:3]
            )
            rows.append(
                [
                    escape(i["id"]),
                    escape(i["query"]),
                    _fmt(i["rank"]),
                    top,
                    "<br>".join(f"<code>{escape(k)}</code>" for k in i["expected"]),
                ]
            )
            classes.append("right" if i["correct"] else "wrong")
        out.append(f"<h2>Retrieval: per question ({retrieval.config}); misses first</h2>")
        out.append(_table(["id", "question", "rank of expected", "top 3", "expected"], rows, classes))
    for suite in ("classification", "routing"):
        res = run.result(suite)
        if res is None:
            continue
        rows, classes = [], []
        for i in sorted(res.items, key=lambda i: (i["correct"], i["id"])):
            rows.append(
                [escape(i["id"]), escape(i["text"][:80]), escape(str(i["got"])), escape(str(i["expected"]))]
            )
            classes.append("right" if i["correct"] else "wrong")
        out.append(f"<h2>{suite}: per item ({res.config}); wrong first</h2>")
        out.append(_table(["id", "text", "predicted", "expected"], rows, classes))
    return "\n".join(out)
