"""Regenerate docs/example-report/: a real report between two real revisions of this repo.

A temporary clone gets a fresh DVC directory remote; main runs the committed pipeline, a
`pr` branch changes one hyperparameter (EXAMPLE_CHANGE), and `model report` compares them.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from model import config
from model.config import ParamsError, set_param
from model.proc import run, venv_env

# A plausible but worse PR: 15 boosting rounds instead of 200. Some drops are significant
# (F1, log loss) and some are not (PR AUC, accuracy): a mixed result worth showing.
EXAMPLE_CHANGE = ("train.n_estimators", 200, 15)


def _sh(cmd: list[str], cwd: Path) -> None:
    run(cmd, cwd, env=venv_env({config.MODEL_TRACKING: "0"}))


def commit_run(ws: Path, message: str) -> None:
    """Run the pipeline, push its outputs to the DVC remote, commit dvc.lock and friends."""
    _sh(["dvc", "repro", "--quiet"], ws)
    _sh(["dvc", "push", "--quiet"], ws)
    _sh(["git", "add", "-A"], ws)
    _sh(["git", "-c", "user.name=example", "-c", "user.email=example@localhost",
         "commit", "--quiet", "--allow-empty", "-m", message], ws)  # fmt: skip


def build(repo: Path, workdir: Path) -> Path:
    """A clone of `repo` with main (as committed) and a `pr` branch carrying EXAMPLE_CHANGE."""
    ws = workdir / "ws"
    _sh(["git", "clone", "--quiet", str(repo), str(ws)], workdir)
    _sh(["dvc", "remote", "modify", "--local", "local", "url", str(workdir / "remote")], ws)
    _sh(["model", "data", "pull"], ws)
    commit_run(ws, "main: committed pipeline")
    _sh(["git", "checkout", "--quiet", "-b", "pr"], ws)
    key, expected, new = EXAMPLE_CHANGE
    old = set_param(key, new, ws / "params.yaml")
    if old != expected:
        raise ParamsError(f"params.yaml has {key}: {old}, not {expected}; update EXAMPLE_CHANGE")
    commit_run(ws, f"pr: {key} {old} -> {new}")
    return ws


def regenerate(root: Path, out: Path) -> dict:
    """Build the two revisions of `root` and write their report into `out` (replaced)."""
    from model.review.run import run as report

    with tempfile.TemporaryDirectory(prefix="example-report-") as tmp:
        ws = build(root, Path(tmp))
        shutil.rmtree(out, ignore_errors=True)
        key, _, new = EXAMPLE_CHANGE
        label = f"pr ({key.split('.')[-1]}: {new})"
        policy = root / ".github/promotion-gate.yaml"
        return report(
            ws, base="main", head="pr", out=out, policy_path=policy, labels=("main", label)
        )
