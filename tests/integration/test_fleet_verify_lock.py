"""`make fleet-verify-lock` then `make fleet-report`: a fleet model's lock is proven, and gated.

A clone of the work tree under test whose main commits the dvc.lock that `dvc repro` wrote in
fleet/<MODEL> (its own DVC project, cache = the root's .dvc/cache), as a PR author commits it.
The targets run as pr.yaml's fleet-review job runs them (MODEL=<name>, one REPORT_DIR), so
the test also covers the file that hands verify-lock's verdict to the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import clone, run
from tests.pr_edits import NO_TRACKING, forge_train_output

MODEL = "telco-area-code-510"  # the smallest fleet model's data (≈100 kB): the fastest repro


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


def make(ws: Path, target: str, out: Path) -> tuple[int, str]:
    """A mk/report.mk target as CI runs it, inside this environment (no `uv run`)."""
    env = {**NO_TRACKING, "MODEL_ENV_READY": "1", "MODEL": MODEL, "REPORT_DIR": str(out),
           "REPORT_BASE": "main"}  # fmt: skip
    proc = run(["make", "--no-print-directory", target], ws, check=False, env=env)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def fleet_repo(origin: Path, dvc_remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fleet-verify-lock")
    ws = clone(origin, base / "ws", dvc_remote)
    run(["model", "fleet", "pull", MODEL], ws)
    run(["dvc", "repro", "--quiet"], ws / "fleet" / MODEL, env=NO_TRACKING)
    git(ws, "add", "fleet")
    git(ws, "commit", "-q", "--allow-empty", "-m", f"main: {MODEL}'s dvc.lock for this code")
    return ws


def test_an_honest_fleet_lock_reproduces_and_the_report_says_so(
    fleet_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report-out"
    code, log = make(fleet_repo, "fleet-verify-lock", out)
    assert code == 0, log
    lock = json.loads((out / f"lock-{MODEL}.json").read_text())
    assert lock["reproducible"] is True and lock["differing_stages"] == [], log
    assert lock["lock"] == f"fleet/{MODEL}/dvc.lock"
    assert lock["rev"] == git(fleet_repo, "rev-parse", "HEAD")
    assert f"fleet/{MODEL}/dvc.lock at" in log and "reproduced byte for byte" in log
    assert not (out / "lock.json").exists(), "the root model's lock status file is not touched"
    assert git(fleet_repo, "status", "--porcelain", "fleet") == "", "the work tree is untouched"

    code, log = make(fleet_repo, "fleet-report", out)
    assert code == 0, log
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == MODEL and report["reproducibility"]["reproducible"] is True
    (check,) = [c for c in report["checks"] if c["name"] == "reproducibility"]
    assert check["passed"] is True


def test_a_tampered_fleet_lock_fails_naming_the_stage_and_fails_the_report(
    fleet_repo: Path, tmp_path: Path
) -> None:
    git(fleet_repo, "checkout", "-q", "-B", "forged-lock", "main")
    try:
        forged = forge_train_output(fleet_repo / "fleet" / MODEL / "dvc.lock")
        git(fleet_repo, "commit", "-qam", f"forge train's output in {MODEL}'s dvc.lock")
        out = tmp_path / "report-out"

        # Without a lock status the report has nothing to gate on: the outputs equal main's.
        code, log = make(fleet_repo, "fleet-report", tmp_path / "unchecked")
        assert code == 0, log

        code, log = make(fleet_repo, "fleet-verify-lock", out)
        assert code != 0, log
        assert "not reproducible" in log and "stages differ: train" in log
        lock = json.loads((out / f"lock-{MODEL}.json").read_text())
        assert lock["reproducible"] is False and lock["differing_stages"] == ["train"]
        (diff,) = lock["differences"]
        assert diff["path"] == "models/model.onnx" and diff["committed"] == forged

        code, log = make(fleet_repo, "fleet-report", out)
        assert code != 0, log
        report = json.loads((out / "report.json").read_text())
        assert report["passed"] is False and "reproducibility" in report["verdict"]
        (check,) = [c for c in report["checks"] if c["name"] == "reproducibility"]
        assert check["passed"] is False and check["detail"] == "stages differ: train"
    finally:
        git(fleet_repo, "checkout", "-q", "-f", "main")
