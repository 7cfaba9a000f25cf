"""Pipeline benchmarks: cold and no-op `dvc repro`, MLflow overhead, `model --help` start-up.

Runs in a scratch clone of this checkout (its own DVC remote and MLflow server), prints
medians and the ratio against each target. Usage: `uv run python benchmarks/pipeline.py [-n 3]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {"cold_repro_s": 30.0, "noop_repro_s": 3.0, "help_s": 0.5, "tracking_overhead_s": 5.0}


def sh(cmd: list[str], cwd: Path, **env: str) -> float:
    """Run `cmd`, fail loudly, return its wall time in seconds."""
    full = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def scratch_clone(tmp: Path) -> Path:
    """Clone this checkout (HEAD) with a private DVC remote and pulled data."""
    ws = tmp / "ws"
    sh(["git", "clone", "-q", str(ROOT), str(ws)], tmp)
    sh(["dvc", "remote", "modify", "--local", "local", "url", str(tmp / "remote")], ws)
    sh(["model", "data", "pull"], ws)
    return ws


def median_of(n: int, cmd: list[str], cwd: Path, **env: str) -> float:
    return statistics.median(sh(cmd, cwd, **env) for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3, help="repeats per measurement")
    n = ap.parse_args().n
    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        ws = scratch_clone(tmp)
        state = tmp / "state"
        results = {
            "help_s": median_of(max(n, 5), ["model", "--help"], ws),
            "cold_repro_untracked_s": median_of(n, ["dvc", "repro", "-f"], ws, MODEL_TRACKING="0"),
        }
        sh(["model", "tracking", "up"], ws, MODEL_STATE_DIR=str(state))
        try:
            results["cold_repro_s"] = median_of(
                n, ["dvc", "repro", "-f"], ws, MODEL_STATE_DIR=str(state)
            )
        finally:
            sh(["model", "tracking", "down"], ws, MODEL_STATE_DIR=str(state))
        results["noop_repro_s"] = median_of(n, ["dvc", "repro"], ws, MODEL_TRACKING="0")
        results["tracking_overhead_s"] = results["cold_repro_s"] - results["cold_repro_untracked_s"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'measure':28} {'median':>9} {'target':>8} {'ratio':>7}")
    for key, value in results.items():
        target = TARGETS.get(key)
        ratio = f"{value / target:7.2f}" if target else ""
        print(f"{key:28} {value:9.2f} {target or '':>8} {ratio}")


if __name__ == "__main__":
    main()
