"""`model release-model --model NAME` / `remote-status --model NAME`: a fleet model's train
outputs, as its own dvc.lock pins them, from its own DVC project (never the root model's)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from tests.conftest import clone, run

pytestmark = pytest.mark.e2e
MODEL = "churn"


def _train_outs(folder: Path) -> dict[str, str]:
    lock = yaml.safe_load((folder / "dvc.lock").read_text())
    return {o["path"]: o["md5"] for o in lock["stages"]["train"]["outs"]}


def test_a_fleet_model_is_released_from_its_own_lock(origin: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    ws = clone(origin, tmp_path / "ws", remote)
    folder = ws / "fleet" / MODEL
    run(["dvc", "remote", "modify", "--local", "local", "url", str(remote)], folder)
    run(["model", "fleet", "pull", MODEL], ws)
    env = {"MODEL_TRACKING": "0"}

    before = run(["model", "remote-status", "--model", MODEL], ws, env=env).stdout
    assert "lacks" in before and "already holds" not in before, before
    out = run(["model", "release-model", "--model", MODEL], ws, env=env).stdout
    assert "every md5 matches dvc.lock" in out and "pushed" in out, out
    for path, md5 in _train_outs(folder).items():
        assert hashlib.md5((folder / path).read_bytes()).hexdigest() == md5, path
    assert not (ws / "models" / "model.onnx").exists(), "the root model was built instead"
    after = run(["model", "remote-status", "--model", MODEL], ws, env=env).stdout
    assert "already holds all" in after, after


@pytest.mark.parametrize("bad", ["../../etc", "Churn", "$(touch x)"])
def test_a_hostile_model_name_is_refused_before_any_dvc_call(bad: str, tmp_path: Path) -> None:
    for verb in ("release-model", "remote-status"):
        out = run(["model", verb, "--model", bad, "--repo", str(tmp_path)], tmp_path, check=False)
        assert out.returncode == 2 and "model name" in out.stdout + out.stderr, out.stderr
    assert not (tmp_path / "x").exists()
