"""`model summary --model NAME` prints that fleet model's committed metrics, not the root's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from model.cli.app import ModelGroup
from model.cli.commands import summary as command

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    app = typer.Typer(cls=ModelGroup)
    command.register(app)
    app.command("other")(lambda: None)  # two commands: typer keeps the `summary` name
    result = CliRunner().invoke(app, ["summary", *args], terminal_width=200)
    return result.exit_code, result.output


def test_a_fleet_models_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = json.loads((ROOT / "fleet/churn/reports/metrics.json").read_text())
    code, out = invoke(["--model", "churn"], monkeypatch)
    assert code == 0, out
    assert "churn: test-split metrics" in out and f"{metrics['roc_auc']:.4f}" in out


@pytest.mark.parametrize("bad", ["../fleet/churn", "Churn", ""])
def test_a_hostile_name_is_a_usage_error(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = invoke(["--model", bad], monkeypatch)
    assert code == 2 and "model name" in out
