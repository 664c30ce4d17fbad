"""Reports: Markdown with wrong answers next to the expected ones, and an HTML page whose plots
render in headless Chromium (a screenshot is taken and its pixels checked)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from assistant.answer import Decision
from assistant.classify import Classification
from eval import report, runner
from eval.datasets import Query, Ticket

Q = [
    Query("q1", "广州怎么办居住证", "440100", ("gd_matters:A:location",)),
    Query("q2", "新冠疫苗去哪打", None, ("covid_policy_qa:b",)),
    Query("q3", "社保卡补办要什么材料", None, ("gd_matters:C:materials",)),
]
OUT = [
    Query("o1", "楼上天天吵", None, (), should="escalate"),
    Query("o2", "小区门口大坑没人管", None, (), should="escalate"),
]
# what the assistant said for each question, at its own threshold and at threshold 0
DECISIONS = {
    ("广州怎么办居住证", None): Decision(
        "answer", 0.91, entry_id=1, entry_external_key="gd_matters:A:location", reason="ok"
    ),
    ("新冠疫苗去哪打", None): Decision(
        "answer", 0.72, entry_id=2, entry_external_key="covid_policy_qa:zzz", reason="ok"
    ),
    ("社保卡补办要什么材料", None): Decision("escalate", 0.31, reason="low"),
    ("社保卡补办要什么材料", 0.0): Decision(
        "answer", 0.31, entry_id=3, entry_external_key="gd_matters:C:materials"
    ),
    ("楼上天天吵", None): Decision("escalate", 0.12, reason="low"),
    ("楼上天天吵", 0.0): Decision("answer", 0.12, entry_id=4, entry_external_key="covid_policy_qa:q"),
    ("小区门口大坑没人管", None): Decision("escalate", 0.2, reason="low"),
    ("小区门口大坑没人管", 0.0): Decision(
        "answer", 0.2, entry_id=5, entry_external_key="gd_matters:D:location"
    ),
}
LABELS = ["城乡建设", "环境保护", "劳动和社会保障", "卫生计生"]


def _cls(l1: str, dept: str = "市住房和城乡建设局", urgent: bool = False) -> Classification:
    return Classification(l1, None, None, dept, urgent, "neutral", 0.8, False)


def _run() -> runner.RunResult:
    answer = runner.run_answer(
        kb_queries=Q,
        out_of_kb=OUT,
        decide=lambda q, r, t: DECISIONS[(q, t)],
        config="no_llm",
        entry_regions={"gd_matters:A:location": "440100"},
        region_chain=lambda code: [code, "440000"] if code else None,
    )
    tickets = [
        Ticket(
            f"t{i}",
            f"文本{i}",
            LABELS[i % 4],
            department="市住房和城乡建设局",
            urgent=i == 0,
            sentiment="neutral",
        )
        for i in range(12)
    ]
    preds = [_cls(LABELS[(i + (i % 3 == 0)) % 4], urgent=i < 2) for i in range(12)]
    cls = runner.run_classification(
        tickets=tickets, gold_messages=[], ticket_preds=preds, gold_preds=[], config="classifier"
    )
    route = runner.run_routing(tickets=tickets, ticket_preds=preds, config="classifier")
    return runner.RunResult(
        "demo",
        [answer, cls, route],
        {"answer": "no_llm", "classification": "classifier", "routing": "classifier"},
        {"missing_keys": [{"query_id": "q9", "key": "gd_matters:X:location"}], "unscorable_queries": ["q9"]},
    )


def test_answer_suite_scores_a_hand_checked_run():
    run = _run()
    m = run.result("answer").metrics
    # q1 right; q2 answered with the wrong entry; q3 escalated; both out-of-KB escalated
    assert m["direct_answer_accuracy"] == pytest.approx(1 / 3)
    assert m["wrong_answer_rate"] == pytest.approx(1 / 5)
    assert m["escalation_rate"] == 1.0
    curve = run.result("answer").extras["curve"]
    # at threshold 0.31 q1, q2, q3 are answered: 2 of 3 right (q3's top entry is right)
    point = next(p for p in curve if p["threshold"] == 0.31)
    assert point["coverage"] == pytest.approx(3 / 5) and point["precision"] == pytest.approx(2 / 3)
    summary = run.summary()
    assert summary["macro_f1_l1"] == run.result("classification").metrics["macro_f1_l1"]
    assert summary["urgent_recall"] == 1.0 and summary["routing_accuracy"] == 1.0


def test_clarify_is_scored_by_whether_its_candidates_hold_the_expected_entry():
    offer = [{"external_key": "covid_policy_qa:zzz"}, {"external_key": "covid_policy_qa:b"}]
    said = {
        "广州怎么办居住证": Decision("answer", 0.91, entry_id=1, entry_external_key="gd_matters:A:location"),
        "新冠疫苗去哪打": Decision("clarify", 0.7, candidates=offer),  # the right one is offered
        "社保卡补办要什么材料": Decision("clarify", 0.6, candidates=offer[:1]),  # it is not
    }

    def decide(q: str, region: str | None, threshold: float | None) -> Decision:
        return said.get(q) or Decision("escalate", 0.1)

    res = runner.run_answer(
        kb_queries=Q,
        out_of_kb=OUT,
        decide=decide,
        config="no_llm",
        entry_regions={"gd_matters:A:location": "440100"},
        region_chain=lambda code: [code, "440000"] if code else None,
    )
    assert res.metrics["direct_answer_accuracy"] == pytest.approx(1 / 3)
    assert res.metrics["clarify_offers_expected"] == pytest.approx(1 / 2)
    assert res.metrics["answer_or_offer_accuracy"] == pytest.approx(2 / 3)
    assert [i["candidates"] for i in res.items][1] == ["covid_policy_qa:zzz", "covid_policy_qa:b"]
    # no clarify at all: nothing to score, not a perfect score
    assert _run().result("answer").metrics["clarify_offers_expected"] is None


def test_markdown_lists_each_wrong_answer_next_to_the_expected_entry():
    md = report.markdown(_run())
    assert "| q2 | 新冠疫苗去哪打 | covid_policy_qa:zzz | covid_policy_qa:b |" in md
    assert "q9: `gd_matters:X:location`" in md
    assert "| direct-answer accuracy | 0.333 |" in md


def test_html_embeds_the_plots_and_the_per_question_table():
    page = report.html(_run(), run_id=7)
    ids = re.findall(r"id='plot-([a-z0-9-]+)'", page)
    assert ids == ["precision-coverage", "confusion-l1", "confusion-department"]
    assert page.count("src='data:image/png;base64,") == 3
    assert '<tr class="wrong"><td>q2</td>' in page


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip(
            "chromium is not installed and could not be: run `make browser` (apt-get install chromium) as root"
        )
    return exe


def _screenshot(exe: str, page: Path, out: Path, profile: Path) -> np.ndarray:
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--window-size=1300,2200",
        f"--screenshot={out}",
        page.as_uri(),
    ]
    subprocess.run(
        cmd, check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(profile)}
    )
    return imread(out)[..., :3]


def _near(img: np.ndarray, rgb: tuple[int, int, int], tol: float = 0.06) -> int:
    return int((np.abs(img - np.array(rgb) / 255).max(axis=2) < tol).sum())


@pytest.mark.browser
def test_the_report_renders_with_its_plots_in_headless_chromium(tmp_path: Path):
    exe = _chromium()
    page = report.html(_run())
    with_plots, without = tmp_path / "report.html", tmp_path / "bare.html"
    with_plots.write_text(page, "utf-8")
    without.write_text(re.sub(r"<img [^>]*>", "", page), "utf-8")
    shot = _screenshot(exe, with_plots, tmp_path / "with.png", tmp_path / "p1")
    bare = _screenshot(exe, without, tmp_path / "without.png", tmp_path / "p2")
    # matplotlib's first line colour (the curve) and the darkest blues of the confusion heat map
    curve_blue, heat_blue = (31, 119, 180), (8, 48, 107)
    assert _near(shot, curve_blue) > 300, "the precision-coverage curve is not on the page"
    assert _near(shot, heat_blue) > 300, "the confusion matrix is not on the page"
    assert _near(bare, curve_blue) == 0 and _near(bare, heat_blue) == 0


def test_markdown_lists_retrieval_misses_with_the_rank_of_the_expected_entry():
    class Hit:
        def __init__(self, key: str):
            self.external_key, self.entry_id, self.question, self.score = key, 0, key, 1.0

    ranking = {"q1": ["gd_matters:A:location"], "q2": ["covid_policy_qa:x", "covid_policy_qa:b"]}
    by_query = {q.query: ranking[q.id] for q in Q[:2]}
    res = runner.run_retrieval(
        queries=Q[:2], search=lambda text, region: [Hit(k) for k in by_query[text]], config="bm25"
    )
    md = report.markdown(runner.RunResult("demo", [res], {"retrieval": "bm25"}))
    assert "| q2 | 新冠疫苗去哪打 | 2 | covid_policy_qa:x | covid_policy_qa:b |" in md
    assert "| q1 |" not in md.split("Retrieval misses")[1]
