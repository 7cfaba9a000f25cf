"""How DVC's pipeline layout scales with the number of models: `benchmarks/fleet.py --layouts`.

Not an entry point of its own: benchmarks/fleet.py is the fleet's one benchmark and calls
`compare` when asked to re-run the layout choice.

Three ways to declare one pipeline for N models, each with its own folder:
  foreach   one top-level dvc.yaml whose stages use `foreach:` over the model names
  folders   one dvc.yaml per model folder (`fleet/<name>/dvc.yaml`), all in the root project
  subrepos  the same per-folder dvc.yaml, each folder its own DVC project (`.dvc/` inside,
            cache shared with the root), as model/fleet/pipeline.py lays the fleet out; the
            fleet-wide status/repro is one Python process opening each project in turn

For each layout and N it times, on a repository whose lock is current:
  check    (folders, subrepos) `model fleet status`'s lock check: one process, no DVC project
  status   no-op `dvc status` over the whole fleet               target <= 10 s at 1,000
  repro    no-op `dvc repro` over the whole fleet                target <= 10 s at 1,000
  one      `dvc repro` of one changed model (its stages only)    should not grow with N

Members are generated (N folders, each with a 200-row CSV and a params file), never committed:
the stage commands are cheap copies, so the figures are DVC's own overhead, which is what
grows with the fleet. Growth is reported as the exponent k in t ~ N^k between the smallest
and largest N (k = 1 is linear; k near 0 is flat).
"""

from __future__ import annotations

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


def write_subrepos(root: Path, members: list[str]) -> None:
    """Per-folder dvc.yaml, each folder a DVC subrepo sharing the root's cache."""
    write_folders(root, members)
    for name in members:
        dvc = root / "fleet" / name / ".dvc"
        dvc.mkdir()
        (dvc / "config").write_text(
            "[core]\n    analytics = false\n[cache]\n    dir = ../../../.dvc/cache\n"
        )
        (dvc / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")
        (dvc.parent / ".dvcignore").write_text("")
    # The fleet-wide command: one process, DVC imported once, each project opened in turn.
    (root / "fleet_dvc.py").write_text(
        "import contextlib, sys\nfrom pathlib import Path\nfrom dvc.repo import Repo\n"
        "for folder in sorted(Path('fleet').resolve().iterdir()):\n"
        "    with contextlib.chdir(folder), Repo('.') as repo:  # DVC resolves from the cwd\n"
        "        repo.status() if sys.argv[1] == 'status' else repo.reproduce()\n"
    )


WRITERS = {"foreach": write_foreach, "folders": write_folders, "subrepos": write_subrepos}


# model fleet status's check (model/fleet/status.py): one process hashing each folder's deps
# against its dvc.lock, shared code hashed once; no DVC project is opened.
CHECK = [
    "python", "-c",
    "from pathlib import Path; from model.fleet.status import fleet_stale; "
    "stale = fleet_stale(sorted(Path('fleet').iterdir())); assert not any(stale.values()), stale",
]  # fmt: skip


def fleet_cmd(layout: str, what: str) -> list[str]:
    """The fleet-wide no-op `status` or `repro` for a layout."""
    if layout == "subrepos":
        return ["python", "fleet_dvc.py", what]
    return (
        ["dvc", "status", "-q"] if what == "status" else ["dvc", "repro", "-q", "--all-pipelines"]
    )


def repo(layout: str, n: int) -> Path:
    """A git + DVC repository with N members, reproduced once and committed."""
    root = Path(tempfile.mkdtemp(prefix=f"fleet-{layout}-{n}-"))
    sh(["git", "init", "-q"], root)
    sh(["dvc", "init", "-q"], root)
    members = names(n)
    write_members(root, members)
    WRITERS[layout](root, members)
    sh(fleet_cmd(layout, "repro"), root)
    sh(["git", "add", "-A"], root)
    sh(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "fleet"], root)
    return root


def one_model(layout: str, root: Path, name: str) -> tuple[list[str], Path]:
    """The `dvc repro` that rebuilds one member only, and where it runs."""
    if layout == "foreach":
        return ["dvc", "repro", "-q", f"train@{name}"], root
    if layout == "subrepos":
        return ["dvc", "repro", "-q"], root / "fleet" / name
    return ["dvc", "repro", "-q", f"fleet/{name}/dvc.yaml"], root


def measure(layout: str, n: int, rounds: int) -> dict[str, float]:
    """Medians of no-op status, no-op repro, and one changed member's repro."""
    root = repo(layout, n)
    try:
        sh(fleet_cmd(layout, "status"), root)  # warm-up: bytecode and DVC's site cache, not timed
        status = [sh(fleet_cmd(layout, "status"), root) for _ in range(rounds)]
        # every dvc.yaml of the fleet, whichever the layout
        noop = [sh(fleet_cmd(layout, "repro"), root) for _ in range(rounds)]
        one = []
        for r in range(rounds):
            name = names(n)[r % n]
            data = root / "fleet" / name / "data.csv"
            data.write_text(data.read_text() + f"{1000 + r},{r}\n")
            one.append(sh(*one_model(layout, root, name)))
        timed = {"status": status, "repro": noop, "one": one}
        if layout != "foreach":  # every folder has its own dvc.lock: the fleet lock check applies
            timed["check"] = [sh(CHECK, root) for _ in range(rounds)]
        return {k: statistics.median(v) for k, v in timed.items()}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float:
    """k in t ~ N^k between two sizes."""
    return math.log(large[1] / small[1]) / math.log(large[0] / small[0])


def compare(sizes: list[int], rounds: int, layouts: list[str] | None = None) -> None:
    """Measure and print every layout at every size, then the growth exponents."""
    results: dict[str, dict[int, dict[str, float]]] = {}
    for layout in layouts or list(WRITERS):
        results[layout] = {}
        for n in sizes:
            results[layout][n] = measure(layout, n, rounds)
            row = results[layout][n]
            check = f"  lock check {row['check']:6.2f} s" if "check" in row else ""
            print(
                f"{layout:8} N={n:5}  status {row['status']:6.2f} s  "
                f"no-op repro {row['repro']:6.2f} s  one model {row['one']:6.2f} s{check}",
                flush=True,
            )
    lo, hi = min(sizes), max(sizes)
    if lo == hi:
        return
    print(f"\ngrowth exponent k (t ~ N^k) from N={lo} to N={hi}; seconds at N={hi}")
    for what in ("status", "repro", "one", "check"):
        cells = []
        for layout, by_n in results.items():
            if what not in by_n[lo]:
                continue
            k = exponent((lo, by_n[lo][what]), (hi, by_n[hi][what]))
            cells.append(f"{layout} k={k:.2f} ({by_n[hi][what]:.2f} s)")
        print(f"  {what:7} " + "  ".join(cells))
