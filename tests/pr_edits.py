"""Edits a pull request makes to the root project, shared by the PR review tests (local and act)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from model import config
from tests.conftest import run

NO_TRACKING = {config.MODEL_TRACKING: "0"}  # pipeline runs here log to no MLflow


def fewer_trees(ws: Path) -> int:
    """Cut train.n_estimators to 5 and re-run the pipeline, as the author commits it; the old value.

    Whatever main's value is (PRs tune it), 5 boosting rounds is drastically fewer.
    """
    params = ws / "params.yaml"
    trees = yaml.safe_load(params.read_text())["train"]["n_estimators"]
    assert trees >= 50, f"expected main to train at least 50 trees, found {trees}"
    text, count = re.subn(r"(?m)^(  n_estimators: )\d+", r"\g<1>5", params.read_text())
    assert count == 1, "expected one `n_estimators:` line under train: in params.yaml"
    params.write_text(text)
    run(["dvc", "repro", "--quiet"], ws, env=NO_TRACKING)
    return int(trees)


def forge_train_output(lock: Path) -> str:
    """Replace train's models/model.onnx md5 in `lock` (nothing reproduces it); the forged md5."""
    text = lock.read_text()
    start, end = text.index("  train:"), text.index("  evaluate:")
    onnx = re.search(r"path: models/model.onnx\n\s+hash: md5\n\s+md5: (\w+)", text[start:end])
    assert onnx, f"expected train's models/model.onnx output with an md5 in {lock}"
    forged = "deadbeef" * 4
    lock.write_text(text[:start] + text[start:end].replace(onnx.group(1), forged) + text[end:])
    return forged
