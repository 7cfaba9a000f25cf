"""One home per fact (issue 12 §2): the state folder, last_run.json and params.yaml edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import config
from model.gitops.facts import mlflow_run
from model.tracking.runs import last_run_id

pytestmark = pytest.mark.unit
SHA = "a" * 64


def test_last_run_json_follows_model_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.MODEL_STATE_DIR, "elsewhere")
    path = config.last_run_file(tmp_path)
    assert path == tmp_path / "elsewhere" / "last_run.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"run_id": "r1", "model_sha256": SHA}))
    # the reader gitops uses for the Mlflow-Run trailer and the registry's run lookup agree
    assert mlflow_run(tmp_path, SHA) == "r1"
    assert last_run_id(tmp_path, SHA) == "r1"
    assert last_run_id(tmp_path, "b" * 64) is None  # written for another model


def test_an_absolute_state_dir_is_used_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.MODEL_STATE_DIR, str(tmp_path / "abs"))
    assert config.last_run_file(Path("/somewhere/else")) == tmp_path / "abs" / "last_run.json"
    monkeypatch.delenv(config.MODEL_STATE_DIR)
    assert config.state_dir() == Path(".state")


PARAMS = """\
# one section per stage
train:
  n_estimators: 120  # boosting rounds
  max_depth: 4
evaluate:
  threshold: 0.4
"""  # a synthetic file: its values are not the repository's params


def test_set_param_keeps_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS)
    assert config.set_param("train.n_estimators", 15, path) == 120
    before, after = PARAMS.splitlines(), path.read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1, changed  # one line; ruamel keeps the comment at its column
    assert changed[0][1].split() == ["n_estimators:", "15", "#", "boosting", "rounds"]
    assert config.load_params("train", path) == {"n_estimators": 15, "max_depth": 4}


@pytest.mark.parametrize("key", ["train.n_estimator", "nope.x", "train.max_depth.deeper"])
def test_set_param_refuses_a_key_that_is_not_there(tmp_path: Path, key: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS)
    with pytest.raises(config.ParamsError, match="no `"):
        config.set_param(key, 1, path)
    assert path.read_text() == PARAMS  # nothing written
