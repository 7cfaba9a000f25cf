"""Rendering every fleet Application's inputs from the release files (issue 15: <= 5 s at 2,000).

  uv run python benchmarks/fleet_render.py [--sizes 10 100 1000] [--rounds 3]

For N generated models (never committed) it writes deploy/<env>/<model>.yaml for staging and
prod (2N files) beside a copy of the committed ApplicationSet, then times
model/fleet/appset.py's `applications`: the git files generator's parameters of every file
and the Go-template render of every Application (what the ApplicationSet controller computes).
Medians, and the growth exponent k in t ~ N^k from the smallest to the largest N.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from model.fleet.appset import APPSET, applications
from model.fleet.release import ENVIRONMENTS, FleetRelease, write

ROOT = Path(__file__).resolve().parents[1]


def tree(n: int) -> Path:
    """A temporary tree holding the ApplicationSet and 2N release files."""
    root = Path(tempfile.mkdtemp(prefix=f"fleet-render-{n}-"))
    (root / APPSET).parent.mkdir(parents=True)
    shutil.copy(ROOT / APPSET, root / APPSET)
    for i in range(n):
        for env in ENVIRONMENTS:
            h = hashlib.sha256(f"{i}{env}".encode()).hexdigest()
            write(root, FleetRelease(f"m{i:04d}", env, "ghcr.io/x/m", f"sha256:{h}", h, str(i)))
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    medians = {}
    for n in args.sizes:
        root = tree(n)
        try:
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                apps = applications(root)
                times.append(time.perf_counter() - start)
            assert len(apps) == 2 * n
            medians[n] = statistics.median(times)
            print(f"N={n:5} models  {2 * n:5} Applications  {medians[n]:.3f} s", flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    lo, hi = min(args.sizes), max(args.sizes)
    if lo != hi:
        k = math.log(medians[hi] / medians[lo]) / math.log(hi / lo)
        print(f"growth exponent k (t ~ N^k) from N={lo} to N={hi}: {k:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
