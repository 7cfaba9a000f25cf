"""Regenerate docs/example-report/: a real report between two real revisions of this repo.

A temporary clone gets a fresh DVC directory remote; main runs the committed pipeline, a
`pr` branch changes one hyperparameter (EXAMPLE_CHANGE), and `model report` compares them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# A plausible but worse PR: 15 boosting rounds instead of 200. Some drops are significant
# (F1, log loss) and some are not (PR AUC, accuracy): a mixed result worth showing.
EXAMPLE_CHANGE = ("train.n_estimators", "n_estimators: 200", "n_estimators: 15")


def _sh(cmd: list[str], cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "MODEL_TRACKING": "0"}  # fmt: skip
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")


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
    params = ws / "params.yaml"
    _, old, new = EXAMPLE_CHANGE
    text, n = re.subn(rf"^(\s+){re.escape(old)}", rf"\g<1>{new}", params.read_text(), flags=re.M)
    if n != 1:
        raise RuntimeError(f"params.yaml no longer contains {old!r}; update EXAMPLE_CHANGE")
    params.write_text(text)
    commit_run(ws, f"pr: {EXAMPLE_CHANGE[0]} {old.split(': ')[1]} -> {new.split(': ')[1]}")
    return ws


def main(argv: list[str] | None = None) -> int:
    """Build the two revisions and write the report into --out (replacing its contents)."""
    from model.review.run import run

    ap = argparse.ArgumentParser(prog="python -m model.review.example")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    root = Path.cwd()
    out = args.out.resolve()
    with tempfile.TemporaryDirectory(prefix="example-report-") as tmp:
        ws = build(root, Path(tmp))
        shutil.rmtree(out, ignore_errors=True)
        label = f"pr ({EXAMPLE_CHANGE[2]})"
        policy = root / ".github/promotion-gate.yaml"
        report = run(
            ws, base="main", head="pr", out=out, policy_path=policy, labels=("main", label)
        )
    print(report["verdict"])
    print(f"wrote {out}/report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
