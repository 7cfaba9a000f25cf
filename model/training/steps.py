"""What the in-cluster steps do besides `model drift` and `model retrain`: checkout, report."""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.cli.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE

DRIFT_JSON = "drift/drift.json"
RETRAIN_JSON = "retrain.json"
MODEL_FILE = "models/model.onnx"


def checkout(repo_url: str, rev: str, dest: Path) -> str:
    """Clone `rev` of the repo to `dest`, pull its data and served model; return a summary."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    from model.pipeline.datapull import pull
    from model.training.retrain import RetrainError, sh, use_remote

    dest = dest.resolve()
    if dest.exists():
        raise RetrainError(f"checkout: {dest} already exists; pass an empty --dest")
    # The step is retried (the network, the forge, the DVC remote): work in a sibling that a
    # retry may wipe, and move it into place only once complete, so a retry starts clean.
    partial = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    sh(["git", "clone", "-q", "--branch", rev, repo_url, str(partial)], dest.parent, "checkout")
    use_remote(partial)
    with contextlib.chdir(partial):  # DVC resolves targets against the working directory
        data = pull(partial)
        try:
            with Repo(str(partial)) as repo:
                repo.pull(targets=[MODEL_FILE])
            model = f"{MODEL_FILE} pulled"
        except DvcException:  # drift then runs without score drift and says so in its report
            model = f"{MODEL_FILE} not in the DVC remote (score drift will be skipped)"
    partial.rename(dest)
    return f"{repo_url}@{rev} in {dest}; data md5 {data.md5} ({data.source}); {model}"


def push(work: Path, repo: Path) -> str:
    """Push what `model retrain --no-push` committed (dvc push, git push); mark it pushed.

    Its own step so that Argo can retry it: both pushes are idempotent, a retry after a lost
    pod or a flaky forge pushes the same commit again, or nothing.
    """
    from model.training.retrain import dvc, sh

    summary = _load(work / RETRAIN_JSON)
    if summary is None or summary["status"] != "proposed":
        return "nothing to push: no retrain proposed a branch"
    branch = summary["branch"]
    if (repo / ".dvc").is_dir():
        sh(dvc("push"), repo, "dvc push")
    sh(["git", "push", "-q", "-u", "origin", f"{branch}:{branch}"], repo, "git push")
    summary["pushed"] = True
    (work / RETRAIN_JSON).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return f"pushed {branch} and its DVC outputs"


@dataclass(frozen=True)
class RunReport:
    """The verdict of a workflow run, for its log and its exit code."""

    code: int
    markdown: str


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _retrain_lines(retrain: dict[str, Any]) -> tuple[int, list[str]]:
    if retrain["status"] == "unchanged":
        return EXIT_OK, [f"Retrain: data md5 unchanged ({retrain['new_md5']}); nothing proposed."]
    gate = "passed" if retrain["gate_passed"] else "**failed**"
    lines = [
        f"Retrain: branch `{retrain['branch']}` "
        f"({'pushed' if retrain['pushed'] else 'not pushed'}); report gate {gate}.",
        f"Data md5 {retrain['old_md5']} -> {retrain['new_md5']}.",
    ]
    if not retrain["pushed"]:  # nobody will ever see a branch that stayed in the pod
        lines.append("Push failed after its retries; see the push step's log.")
        return EXIT_FAILED, lines
    lines.append(
        "PR opened." if retrain["pr_opened"] else "PR: opened by CI for the pushed branch."
    )
    return (EXIT_OK if retrain["gate_passed"] else EXIT_FAILED), lines


def run_report(work: Path, drift_expected: bool) -> RunReport:
    """Summarise drift.json and retrain.json in `work`; the code fails the run when it should."""
    drift, retrain = _load(work / DRIFT_JSON), _load(work / RETRAIN_JSON)
    lines = ["# Retraining run", ""]
    if drift_expected and drift is None:
        lines.append("Drift check did not finish (bad input?); see the drift-check step's log.")
        return RunReport(EXIT_USAGE, "\n".join(lines) + "\n")
    if drift is not None:
        cols = ", ".join(drift["drifted_columns"]) or "none"
        lines.append(f"Drift: {'**yes**' if drift['drifted'] else 'no'} (columns: {cols}).")
    code = EXIT_OK
    if retrain is not None:
        code, more = _retrain_lines(retrain)
        lines += more
    elif drift is not None and not drift["drifted"]:
        lines.append("Retrain: not needed.")
    else:
        lines.append("Retrain did not finish; see the retrain step's log.")
        code = EXIT_FAILED
    return RunReport(code, "\n".join(lines) + "\n")
