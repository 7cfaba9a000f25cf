"""Benchmark `model report` against plain `dvc metrics diff --md` + `dvc plots diff`.

Builds two real revisions once (the example's main and pr branches; `dvc repro` is not
timed), then times each side REPEATS times as a fresh process on the same repository and
prints medians and the ratio. Target: `model report` <= 10 s, bootstrap alone well under that.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5
TARGET_S = 10.0
BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of one command, which must succeed (exit 0 or, for a failed gate, 1)."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def bootstrap_seconds() -> float:
    """In-process time of the paired bootstrap alone: 7 metrics, 2000 resamples, 890 rows."""
    import numpy as np

    from model.review.stats import METRICS, Scored, bootstrap_deltas

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 890)
    p = np.round(rng.random(890), 6)
    s = Scored(y, p, (p >= 0.5).astype(int))
    start = time.perf_counter()
    bootstrap_deltas(s, s, list(METRICS), paired=True, resamples=2000, seed=1)
    return time.perf_counter() - start


def main() -> int:
    """Print the medians and the ratio."""
    from model.review.example import build

    root = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        print("building two revisions (dvc repro, not timed) ...", flush=True)
        ws = build(root, Path(tmp))
        out = Path(tmp) / "out"
        policy = str(root / ".github/promotion-gate.yaml")
        report_cmd = [str(BIN / "model"), "report", "--base", "main", "--head", "pr",
                      "--out", str(out), "--policy", policy]  # fmt: skip
        dvc = [sys.executable, "-m", "dvc"]
        ours, plain = [], []
        for _ in range(REPEATS):
            ours.append(timed(report_cmd, ws))
            metrics = timed([*dvc, "metrics", "diff", "main", "pr", "--md"], ws)
            plots = timed([*dvc, "plots", "diff", "main", "pr", "-o", str(Path(tmp) / "plots")], ws)
            plain.append(metrics + plots)
    ours_s, plain_s = statistics.median(ours), statistics.median(plain)
    boot = statistics.median(bootstrap_seconds() for _ in range(REPEATS))
    print(f"model report (CLI, incl. imports)  median {ours_s:6.2f} s  (target <= {TARGET_S:.0f})")
    print(f"dvc metrics diff --md + dvc plots diff  median {plain_s:6.2f} s")
    print(f"ratio model report / plain dvc     {ours_s / plain_s:6.2f}x")
    print(f"paired bootstrap alone (2000 x 7 metrics) median {boot:6.2f} s")
    return 0 if ours_s <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
