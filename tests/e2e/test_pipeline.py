"""The foundation end to end: clone, pull data, reproduce, track, and do it all again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import clone, expected_test_rows, run

pytestmark = pytest.mark.e2e


def lock_outs(ws: Path) -> dict[str, str]:
    lock = yaml.safe_load((ws / "dvc.lock").read_text())
    return {o["path"]: o["md5"] for s in lock["stages"].values() for o in s.get("outs", [])}


def test_pipeline_outputs(trained_workspace: Path) -> None:
    ws = trained_workspace
    metrics = json.loads((ws / "reports/metrics.json").read_text())
    assert set(metrics) == {"roc_auc", "pr_auc", "accuracy", "f1", "brier", "log_loss", "n_test"}
    assert metrics["roc_auc"] > 0.75
    assert metrics["n_test"] == expected_test_rows(ws / "data/credit_data.csv", ws / "params.yaml")
    # Timings are no pipeline output (they would change dvc.lock on every run): `model report`
    # measures them.
    assert not (ws / "reports/latency.json").exists()
    for name in ("roc", "pr", "calibration", "confusion"):
        assert json.loads((ws / f"reports/plots/{name}.json").read_text())
    header = (ws / "reports/predictions.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["rownames", "y_true", "proba", "y_pred"]
    meta = json.loads((ws / "models/model.json").read_text())
    from model.core.artifact import sha256_file

    assert meta["sha256"] == sha256_file(ws / "models/model.onnx")


def test_run_is_logged_to_mlflow(trained_workspace: Path, mlflow_server: str) -> None:
    from mlflow.tracking import MlflowClient

    last = json.loads((trained_workspace / ".state/last_run.json").read_text())
    run_ = MlflowClient(mlflow_server).get_run(last["run_id"])
    data_md5 = yaml.safe_load((trained_workspace / "data.dvc").read_text())["outs"][0]["md5"]
    assert run_.data.tags["data_md5"] == data_md5
    assert len(run_.data.tags["git_commit"].split("-")[0]) == 40
    # From the params the run used, so a PR that tunes them keeps this test meaningful.
    trees = yaml.safe_load((trained_workspace / "params.yaml").read_text())["train"]["n_estimators"]
    assert run_.data.params["train.n_estimators"] == str(trees)
    assert run_.data.metrics["roc_auc"] == pytest.approx(
        json.loads((trained_workspace / "reports/metrics.json").read_text())["roc_auc"]
    )
    artifacts = {a.path for a in MlflowClient(mlflow_server).list_artifacts(run_.info.run_id)}
    assert {"metrics.json", "model.onnx"} <= artifacts


def test_noop_repro_runs_nothing(trained_workspace: Path) -> None:
    out = run(["dvc", "repro"], trained_workspace, env={"MODEL_TRACKING": "0"}).stdout
    assert "didn't change, skipping" in out and "Running stage" not in out


def test_pull_refuses_a_wrong_pin(origin: Path, tmp_path: Path) -> None:
    ws = clone(origin, tmp_path / "ws", tmp_path / "empty-remote")
    dvc_file = ws / "data.dvc"
    pinned = dvc_file.read_text()
    dvc_file.write_text(pinned.replace(yaml.safe_load(pinned)["outs"][0]["md5"], "0" * 32 + ".dir"))
    tampered = dvc_file.read_text()
    proc = run(["model", "data", "pull"], ws, check=False)
    assert proc.returncode == 1
    assert "does not match data.dvc" in proc.stderr and "0" * 32 in proc.stderr
    assert dvc_file.read_text() == tampered  # never re-pinned silently
    assert not (ws / "data/credit_data.csv").exists()


def test_pull_bootstraps_an_empty_remote_then_reuses_it(origin: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    first = clone(origin, tmp_path / "a", remote)
    assert "from package and pushed" in run(["model", "data", "pull"], first).stdout.replace(
        "\n", " "
    )
    second = clone(origin, tmp_path / "b", remote)
    assert "from remote" in run(["model", "data", "pull"], second).stdout
    assert (first / "data/credit_data.csv").read_bytes() == (
        second / "data/credit_data.csv"
    ).read_bytes()
