"""How DVC's pipeline layout scales with the number of models (one process; medians, exponents).

  uv run python benchmarks/fleet_layout.py [--sizes 10 100 1000] [--rounds 3]

Two ways to declare one pipeline for N models, each with its own folder:
  foreach  one top-level dvc.yaml whose stages use `foreach:` over the model names
  folders  one dvc.yaml per model folder (`fleet/<name>/dvc.yaml`)

For each layout and N it times, on a repository whose lock is current:
  status   no-op `dvc status` over the whole fleet               target <= 10 s at 1,000
  repro    no-op `dvc repro` over the whole fleet                target <= 10 s at 1,000
  one      `dvc repro` of one changed model (its stages only)    should not grow with N

Members are generated (N folders, each with a 200-row CSV and a params file), never committed:
the stage commands are cheap copies, so the figures are DVC's own overhead, which is what
grows with the fleet. Growth is reported as the exponent k in t ~ N^k between the smallest
and largest N (k = 1 is linear; k near 0 is flat).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# Bytecode caching on, as on a normal install (this sandbox sets PYTHONDONTWRITEBYTECODE=1,
# which makes every dvc process recompile its imports and would swamp what is measured).
_INHERITED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV = {**_INHERITED, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
# The stage a model runs: a cheap, deterministic copy of its data into its output.
CMD = 'python -c "import shutil,sys; shutil.copy(sys.argv[1], sys.argv[2])"'


def sh(args: list[str], cwd: Path) -> float:
    """Run a command; return its wall time in seconds (fail loudly with its output)."""
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return took


def names(n: int) -> list[str]:
    """Generated member names (zero-padded so listings sort)."""
    return [f"m{i:04d}" for i in range(n)]


def write_members(root: Path, members: list[str]) -> None:
    """Each member folder: a small CSV and its params."""
    for name in members:
        folder = root / "fleet" / name
        folder.mkdir(parents=True)
        rows = "\n".join(f"{i},{(i * 7 + len(name)) % 13}" for i in range(200))
        (folder / "data.csv").write_text(f"id,x\n{rows}\n")
        (folder / "params.yaml").write_text(f"train:\n  seed: {len(name)}\n")


def write_foreach(root: Path, members: list[str]) -> None:
    """One dvc.yaml with a foreach stage over all members."""
    items = "\n".join(f"      - {m}" for m in members)
    (root / "dvc.yaml").write_text(
        "stages:\n  train:\n    foreach:\n" + items + "\n    do:\n"
        f"      cmd: {CMD} fleet/${{item}}/data.csv fleet/${{item}}/model.txt\n"
        "      deps:\n        - fleet/${item}/data.csv\n"
        "      params:\n        - fleet/${item}/params.yaml:\n            - train\n"
        "      outs:\n        - fleet/${item}/model.txt\n"
    )


def write_folders(root: Path, members: list[str]) -> None:
    """One dvc.yaml in each member's folder."""
    for name in members:
        (root / "fleet" / name / "dvc.yaml").write_text(
            f"stages:\n  train:\n    cmd: {CMD} data.csv model.txt\n"
            "    deps:\n      - data.csv\n"
            "    params:\n      - params.yaml:\n          - train\n"
            "    outs:\n      - model.txt\n"
        )


def repo(layout: str, n: int) -> Path:
    """A git + DVC repository with N members, reproduced once and committed."""
    root = Path(tempfile.mkdtemp(prefix=f"fleet-{layout}-{n}-"))
    sh(["git", "init", "-q"], root)
    sh(["dvc", "init", "-q"], root)
    members = names(n)
    write_members(root, members)
    (write_foreach if layout == "foreach" else write_folders)(root, members)
    sh(["dvc", "repro", "-q", "--all-pipelines"], root)
    sh(["git", "add", "-A"], root)
    sh(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "fleet"], root)
    return root


def one_model(layout: str, root: Path, name: str) -> list[str]:
    """The `dvc repro` that rebuilds one member only."""
    if layout == "foreach":
        return ["dvc", "repro", "-q", f"train@{name}"]
    return ["dvc", "repro", "-q", f"fleet/{name}/dvc.yaml"]


def measure(layout: str, n: int, rounds: int) -> dict[str, float]:
    """Medians of no-op status, no-op repro, and one changed member's repro."""
    root = repo(layout, n)
    try:
        sh(["dvc", "status", "-q"], root)  # warm-up: bytecode and DVC's site cache, not timed
        status = [sh(["dvc", "status", "-q"], root) for _ in range(rounds)]
        # --all-pipelines: every dvc.yaml in the repository, whichever the layout
        noop = [sh(["dvc", "repro", "-q", "--all-pipelines"], root) for _ in range(rounds)]
        one = []
        for r in range(rounds):
            name = names(n)[r % n]
            data = root / "fleet" / name / "data.csv"
            data.write_text(data.read_text() + f"{1000 + r},{r}\n")
            one.append(sh(one_model(layout, root, name), root))
        timed = {"status": status, "repro": noop, "one": one}
        return {k: statistics.median(v) for k, v in timed.items()}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float:
    """k in t ~ N^k between two sizes."""
    return math.log(large[1] / small[1]) / math.log(large[0] / small[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, dict[int, dict[str, float]]] = {}
    for layout in ("foreach", "folders"):
        results[layout] = {}
        for n in args.sizes:
            results[layout][n] = measure(layout, n, args.rounds)
            row = results[layout][n]
            print(
                f"{layout:8} N={n:5}  status {row['status']:6.2f} s  "
                f"no-op repro {row['repro']:6.2f} s  one model {row['one']:6.2f} s",
                flush=True,
            )
    lo, hi = min(args.sizes), max(args.sizes)
    print(f"\ngrowth exponent k (t ~ N^k) from N={lo} to N={hi}; ratio folders/foreach at N={hi}")
    for what in ("status", "repro", "one"):
        ks = {
            layout: exponent((lo, results[layout][lo][what]), (hi, results[layout][hi][what]))
            for layout in results
        }
        ratio = results["folders"][hi][what] / results["foreach"][hi][what]
        print(f"  {what:7} foreach k={ks['foreach']:.2f}  folders k={ks['folders']:.2f}  "
              f"folders/foreach {ratio:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
