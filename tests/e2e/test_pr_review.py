"""PR review end to end: real git repos, a real DVC remote, `model report` and `verify-lock`.

One module-scoped repository: main runs the committed pipeline and pushes its outputs to
the DVC remote; origin/main points at it (a bare repo of our own, so the session's shared
`origin` is never mutated). Each test branches off main like a pull request would.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import clone, expected_test_rows, run
from tests.pr_edits import NO_TRACKING, fewer_trees

pytestmark = pytest.mark.e2e


def git(ws: Path, *args: str) -> str:
    return run(["git", *args], ws).stdout.strip()


@pytest.fixture(scope="module")
def pr_repo(origin: Path, dvc_remote: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone whose main carries a fresh pipeline run (outputs pushed) and is origin/main."""
    base = tmp_path_factory.mktemp("pr-review")
    ws = clone(origin, base / "ws", dvc_remote)
    run(["model", "data", "pull"], ws, env=NO_TRACKING)
    run(["dvc", "repro", "--quiet"], ws, env=NO_TRACKING)
    run(["dvc", "push", "--quiet"], ws)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "--allow-empty", "-m", "main: pipeline outputs")
    bare = base / "origin.git"
    run(["git", "clone", "-q", "--bare", str(ws), str(bare)], base)
    git(ws, "remote", "set-url", "origin", str(bare))
    git(ws, "fetch", "-q", "origin")
    return ws


@pytest.fixture
def branch(pr_repo: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """Start a PR branch off main; restore main and a clean work tree afterwards."""
    name = re.sub(r"\W+", "-", request.node.name)
    git(pr_repo, "checkout", "-q", "-B", name, "main")
    yield pr_repo
    git(pr_repo, "reset", "-q", "--hard")
    git(pr_repo, "checkout", "-q", "-f", "main")
    run(["dvc", "checkout", "--quiet", "--force"], pr_repo)


def split_rows(ws: Path) -> int:
    """Rows in ws's test split, derived from its params.yaml and data."""
    return expected_test_rows(ws / "data" / "credit_data.csv", ws / "params.yaml")


def report(ws: Path, out: Path, *args: str) -> tuple[int, dict, str]:
    proc = run(["model", "report", "--out", str(out), *args], ws, check=False)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return (
        proc.returncode,
        json.loads((out / "report.json").read_text()),
        (out / "report.md").read_text(),
    )


def test_drastically_fewer_trees_fails_the_gate_with_a_significant_drop(
    branch: Path, tmp_path: Path
) -> None:
    trees = fewer_trees(branch)
    git(branch, "commit", "-qam", "train: 5 boosting rounds")
    code, data, md = report(branch, tmp_path, "--head", "HEAD")  # base: merge-base with origin/main
    assert code == 1
    assert data["base"]["rev"] == git(branch, "rev-parse", "main")
    assert data["paired"] and not data["passed"]
    auc = next(r for r in data["metrics"] if r["metric"] == "roc_auc")
    assert auc["significant"] and auc["ci_high"] < 0 and not auc["passed"]
    assert md.startswith("**❌ Gate failed")
    assert f"| params.yaml | train.n_estimators | {trees} | 5 |" in md
    rows = split_rows(branch)
    assert any(
        r["path"] == "reports/predictions.csv" and r["rows_head"] == rows for r in data["data"]
    )
    assert {"roc.png", "pr.png", "calibration.png", "confusion.png"} <= {
        p.name for p in tmp_path.iterdir()
    }
    # Latency is timed by the report itself, both models on the same rows, not read from files.
    timed = {r["item"]: r for r in data["footprint"]}
    for key in ("predict_single_row_ms", "predict_batch_ms"):
        assert timed[key]["base"] > 0 and timed[key]["head"] > 0, timed[key]
    assert f"in alternating turns, on head's {rows} test rows" in md


def test_readme_only_change_passes_with_no_significant_change(branch: Path, tmp_path: Path) -> None:
    (branch / "README.md").write_text("# credit-scoring\n\nA clearer introduction.\n")
    git(branch, "commit", "-qam", "docs: README only")
    code, data, md = report(branch, tmp_path)  # head: the workspace, base: merge-base
    assert code == 0
    assert data["verdict"] == "✅ Gate passed: no significant change"
    assert md.splitlines()[0] == "**✅ Gate passed: no significant change**"
    assert data["metrics"] and data["segments"]
    for row in data["metrics"] + data["segments"]:
        assert row["ci_low"] <= 0 <= row["ci_high"], row
        assert not row["significant"]
    assert data["params"] == [] and data["data"] == []
    assert data["mcnemar"]["p_value"] == 1.0


def test_first_pr_without_base_metrics_reports_no_baseline(branch: Path, tmp_path: Path) -> None:
    # A root commit holding only a README: the repository before any pipeline existed.
    blob = git(branch, "hash-object", "-w", str(branch / "README.md"))
    tree = _mktree(branch, blob)
    first = git(branch, "commit-tree", tree, "-m", "first commit: no pipeline yet")
    code, data, md = report(branch, tmp_path, "--base", first, "--head", "HEAD")
    assert code == 0
    assert not data["baseline"] and "No baseline" in data["verdict"]
    assert "No baseline to compare with" in md
    assert data["head_metrics"]["n_test"] == split_rows(branch)
    single = next(r for r in data["footprint"] if r["item"] == "predict_single_row_ms")
    assert single["base"] is None and single["head"] > 0  # no base model: head timed alone


def _mktree(ws: Path, blob: str) -> str:
    proc = subprocess.run(["git", "mktree"], cwd=ws, input=f"100644 blob {blob}\tREADME.md\n",
                          capture_output=True, text=True, check=True)  # fmt: skip
    return proc.stdout.strip()


def test_unknown_base_is_a_usage_error(branch: Path, tmp_path: Path) -> None:
    proc = run(
        ["model", "report", "--base", "no-such-branch", "--out", str(tmp_path)], branch, check=False
    )
    assert proc.returncode == 2
    assert "no-such-branch" in proc.stderr


def test_tampered_dvc_lock_fails_verify_lock_naming_the_stage(branch: Path, tmp_path: Path) -> None:
    lock = branch / "dvc.lock"
    text = lock.read_text()
    test_md5 = re.search(r"path: artifacts/test.csv\n\s+hash: md5\n\s+md5: (\w+)", text).group(1)
    # Only the prepare stage's record of its output is forged; the deps of evaluate still agree.
    start = text.index("  prepare:")
    end = text.index("  train:")
    lock.write_text(text[:start] + text[start:end].replace(test_md5, "deadbeef" * 4) + text[end:])
    git(branch, "commit", "-qam", "forge dvc.lock")
    out = tmp_path / "lock.json"
    proc = run(["model", "verify-lock", "--out", str(out)], branch, check=False, env=NO_TRACKING)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "prepare" in proc.stdout
    result = json.loads(out.read_text())
    assert not result["reproducible"]
    assert "prepare" in result["differing_stages"]
    assert "validate" not in result["differing_stages"]  # untouched stages reproduce exactly
    forged = next(d for d in result["differences"] if d["stage"] == "prepare")
    assert forged["committed"] == "deadbeef" * 4 and forged["reproduced"] == test_md5
    assert git(branch, "status", "--porcelain") == ""  # ran in a temp worktree, not here
    code, data, md = report(
        branch, tmp_path / "report", "--head", "HEAD", "--lock-status", str(out)
    )
    assert code == 1 and "reproducibility" in data["verdict"]
    assert "- `prepare`: `artifacts/test.csv`" in md
