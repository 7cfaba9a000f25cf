"""What the in-cluster steps do besides `model drift` and `model retrain`: checkout, report.

The report step's verdict is a status the CLI maps to an exit code once (model workflows):
"ok", "failed" (a step or the gate), "input" (the drift check could not read its data) and
"attention": drift was found and there were no new labels to retrain on. That is not a green
no-op: the run fails with its own code and a person is notified (model/gitops/issues.py).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

DRIFT_JSON = "drift/drift.json"
DRIFT_MD = "drift/drift.md"
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
    from model.training.retrain import RetrainError, dvc, sh

    summary = _load(work / RETRAIN_JSON)
    if summary is None or summary["status"] != "proposed":
        return "nothing to push: no retrain proposed a branch"
    branch, folder = summary["branch"], Path(summary.get("folder", "."))
    if folder.is_absolute() or ".." in folder.parts:  # retrain wrote "." or fleet/<name>
        raise RetrainError(f"{work / RETRAIN_JSON}: folder {str(folder)!r} is not in the repo")
    if (repo / folder / ".dvc").is_dir():  # a fleet model's folder is its own DVC project
        sh(dvc("push"), repo / folder, "dvc push")
    sh(["git", "push", "-q", "-u", "origin", f"{branch}:{branch}"], repo, "git push")
    summary["pushed"] = True
    (work / RETRAIN_JSON).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return f"pushed {branch} and its DVC outputs"


Status = Literal["ok", "failed", "input", "attention"]


@dataclass(frozen=True)
class RunReport:
    """The verdict of a workflow run, for its log and its exit code."""

    status: Status
    markdown: str

    @property
    def attention(self) -> bool:
        """Drift without new labels: a person must act (label data, or accept the drift)."""
        return self.status == "attention"


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _retrain_lines(retrain: dict[str, Any]) -> tuple[Status, list[str]]:
    if retrain["status"] == "unchanged":
        return "ok", [f"Retrain: data md5 unchanged ({retrain['new_md5']}); nothing proposed."]
    gate = "passed" if retrain["gate_passed"] else "**failed**"
    lines = [
        f"Retrain: branch `{retrain['branch']}` "
        f"({'pushed' if retrain['pushed'] else 'not pushed'}); report gate {gate}.",
        f"Data md5 {retrain['old_md5']} -> {retrain['new_md5']}.",
    ]
    if not retrain["pushed"]:  # nobody will ever see a branch that stayed in the pod
        lines.append("Push failed after its retries; see the push step's log.")
        return "failed", lines
    lines.append(
        "PR opened." if retrain["pr_opened"] else "PR: opened by CI for the pushed branch."
    )
    return ("ok" if retrain["gate_passed"] else "failed"), lines


def run_report(work: Path, drift_expected: bool) -> RunReport:
    """Summarise drift.json and retrain.json in `work`; the code fails the run when it should."""
    drift, retrain = _load(work / DRIFT_JSON), _load(work / RETRAIN_JSON)
    lines = ["# Retraining run", ""]
    if drift_expected and drift is None:
        lines.append("Drift check did not finish (bad input?); see the drift-check step's log.")
        return RunReport("input", "\n".join(lines) + "\n")
    if drift is not None:
        cols = ", ".join(drift["drifted_columns"]) or "none"
        lines.append(f"Drift: {'**yes**' if drift['drifted'] else 'no'} (columns: {cols}).")
    status: Status = "ok"
    if retrain is not None:
        status, more = _retrain_lines(retrain)
        lines += more
    elif drift is not None and not drift["drifted"]:
        lines.append("Retrain: not needed.")
    else:
        lines.append("Retrain did not finish; see the retrain step's log.")
        status = "failed"
    if drift and drift["drifted"] and retrain and retrain["status"] == "unchanged":
        status = "attention"
        lines += ["", ATTENTION_NOTE, "", *_drift_details(work)]
    return RunReport(status, "\n".join(lines) + "\n")


ATTENTION_NOTE = (
    "**Attention: drift without new labels.** Traffic has moved away from the training data, "
    "and no labelled snapshot came with it, so there is nothing to retrain on. Label recent "
    "traffic and land it as a snapshot (the new-data workflow retrains from it), or accept the "
    "drift. The drift report is kept as this run's `drift-report` artifact."
)


def _drift_details(work: Path) -> list[str]:
    """The drift report's own markdown, so the log and the notification carry the numbers."""
    md = work / DRIFT_MD
    return md.read_text().splitlines() if md.is_file() else [f"({DRIFT_MD} was not written)"]
