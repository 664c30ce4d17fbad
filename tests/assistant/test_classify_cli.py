"""`lianxin classify` / `classify-train` / `classify-eval` through the real Typer commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant import classify_cli
from kb.config import get_settings
from tests.assistant.test_classify import CONTRACT


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    classify_cli.register(app)
    return app


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("LIANXIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_classify_json_without_shared_data_is_the_contract_and_says_degraded(
    app: typer.Typer, env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("LIANXIN_SHARED_DATA", str(tmp_path / "absent"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["classify", "楼道里燃气味很浓，可能漏气了", "--json"])
    assert result.exit_code == 0, result.output
    line = [x for x in result.stdout.splitlines() if x.startswith("{")][0]
    data = json.loads(line)
    assert set(data) == CONTRACT
    assert (
        data["urgent"] is True and data["department"] == "市住房和城乡建设局" and data["needs_review"] is True
    )
    assert "training data not found" in result.output


def test_classify_empty_text_fails_with_what_to_do(app: typer.Typer, env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["classify", "   ", "--json"])
    assert result.exit_code == 2
    assert "empty text" in result.output


@pytest.mark.slow
def test_train_then_classify_and_eval_on_shared_data(
    app: typer.Typer, env: pytest.MonkeyPatch, shared_dir: Path
) -> None:
    env.setenv("LIANXIN_SHARED_DATA", str(shared_dir / "data"))
    env.setenv("LIANXIN_SHARED_EVAL", str(shared_dir / "eval"))
    get_settings.cache_clear()
    runner = CliRunner()
    trained = runner.invoke(app, ["classify-train"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["n_silver"] > 2700
    out = runner.invoke(app, ["classify", "学校要求学生统一购买教辅资料", "--json"])
    assert json.loads(out.stdout)["category_l1"] == "教育文体"
    measured = runner.invoke(app, ["classify-eval"])
    metrics = json.loads(measured.stdout)
    assert metrics["gold"]["n"] == 495 and metrics["tickets"]["n"] == 80
