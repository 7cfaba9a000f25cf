"""`model drift --model NAME`: a fleet model's features, its ONNX model; `--onnx PATH` overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.core.contract_file import dump
from model.core.schema import Column, Contract

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
# A fleet model whose features share no name with the root model's: the credit contract
# would reject its data, so a passing run proves the fleet contract was used.
CONTRACT = Contract(
    features=(
        Column("tenure", "int", minimum=0, maximum=80),
        Column("plan", "category", categories=("basic", "plus")),
    ),
    id_column="rownames",
    target="churn",
    target_classes=("no", "yes"),
    min_rows=10,
)


def _rows(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = np.clip(rng.normal(30 + shift, 8, n).round(), 0, 80).astype(int)
    plan = rng.choice(["basic", "plus"], n)
    churn = np.where(tenure + rng.normal(0, 5, n) < 25, "yes", "no")
    return pd.DataFrame(
        {"rownames": range(1, n + 1), "churn": churn, "tenure": tenure, "plan": plan}
    )


@pytest.fixture(scope="module")
def onnx() -> bytes:
    """A model trained on the fleet contract, exported as `dvc repro` would (once per module)."""
    from model.core.export import to_onnx_bytes
    from model.core.features import build_pipeline, feature_frame, target

    cfg = yaml.safe_load((ROOT / "params.yaml").read_text())["train"] | {"n_estimators": 10}
    train = _rows(300, 1)
    pipeline = build_pipeline(cfg, CONTRACT).fit(
        feature_frame(train, CONTRACT), target(train, CONTRACT)
    )
    return to_onnx_bytes(pipeline, CONTRACT)


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, onnx: bytes) -> Path:
    """cwd = a work tree with fleet/churn: manifest, contract, and its trained model.onnx."""
    where = tmp_path / "fleet" / "churn"
    (where / "models").mkdir(parents=True)
    (where / "model.yaml").write_text("name: churn\ndataset: modeldata/x\ndata: data/x.csv\n")
    (where / "contract.yaml").write_text(dump(CONTRACT))
    (where / "models" / "model.onnx").write_bytes(onnx)
    _rows(300, 1).to_csv(tmp_path / "ref.csv", index=False)
    _rows(300, 2).to_csv(tmp_path / "same.csv", index=False)
    _rows(300, 3, shift=25).to_csv(tmp_path / "shifted.csv", index=False)
    monkeypatch.chdir(tmp_path)
    _register_commands()
    return tmp_path


def drift(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["drift", "--reference", "ref.csv", *args])
    return result.exit_code, result.output


def test_a_fleet_model_is_checked_on_its_own_features_and_scores(fleet: Path) -> None:
    code, out = drift("--current", "shifted.csv", "--model", "churn")
    assert code == 1, out
    report = json.loads((fleet / "reports/drift/churn/drift.json").read_text())
    assert report["drifted_columns"][0] == "tenure"
    columns = {c["name"] for c in report["columns"]}
    # the score came from fleet/churn/models/model.onnx: neither CSV carries one
    assert columns == {"tenure", "plan", "score"}, columns


def test_onnx_names_the_scorer_and_a_missing_one_is_skipped(fleet: Path) -> None:
    code, out = drift("--current", "same.csv", "--model", "churn", "--onnx", "none.onnx",
                      "--out", "here")  # fmt: skip
    assert code == 0, out
    columns = {c["name"] for c in json.loads((fleet / "here/drift.json").read_text())["columns"]}
    assert columns == {"tenure", "plan"}


@pytest.mark.parametrize(
    "value", ["models/model.onnx", "fleet/churn/models/model.onnx", "../x", "a;b", "Churn", ""]
)
def test_a_path_or_bad_name_given_to_model_is_a_usage_error(fleet: Path, value: str) -> None:
    code, out = drift("--current", "same.csv", "--model", value)
    assert code == 2 and "model name" in out, out
    assert not (fleet / "reports").exists()  # refused before anything was read or written


def test_an_unknown_model_is_a_usage_error(fleet: Path) -> None:
    code, out = drift("--current", "same.csv", "--model", "nosuch")
    assert code == 2 and "fleet/nosuch" in out, out
