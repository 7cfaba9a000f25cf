"""Fleet promotion and audit at scale, against local bare repositories (prints medians).

  uv run python benchmarks/fleet_promote.py [--quick]

1. 50 concurrent `model promote staging --model mNNN --push` (the CLI, one clone each, 50
   generated models) against one bare origin: how many land, total seconds   target 50/50, <= 60 s
2. `model audit --model X` and `model audit` (whole fleet) over generated histories of
   M models x 10 promotions (M = 10, 100, 1,000; built with git fast-import, not CLI runs):
   medians, and the growth exponent (log-log slope from 10 to 1,000 models)
                                                   target <= 0.5 s (one model), <= 2 s (fleet)
Generated models are stand-ins (a folder with a data pin and a model digest), never committed.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from benchmarks.gitops import BIN, ENV, publish  # noqa: E402  (one home for the git env)
from benchmarks.gitops import median_time as median_call  # noqa: E402  (in-process calls)
from model.gitops import audit  # noqa: E402
from model.gitops.trailers import Release, message  # noqa: E402

PROMOTIONS_PER_MODEL = 10


def sh(cmd: list[str], cwd: Path, stdin: bytes | None = None) -> str:
    """Run a command, fail loudly."""
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, input=stdin, capture_output=True, check=True)
    return proc.stdout.decode()


def name(i: int) -> str:
    """The i-th generated model."""
    return f"m{i:04d}"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image(model: str, i: int = 0) -> str:
    return f"ghcr.io/acme/{model}@sha256:{sha(f'{model} {i}')}"


def seed_origin(base: Path, models: list[str]) -> Path:
    """A bare origin whose main holds a folder per generated model (no deploy/ yet)."""
    src = base / "src"
    for model in models:
        where = src / "fleet" / model
        (where / "reports").mkdir(parents=True)
        (where / "model.yaml").write_text(f"name: {model}  # generated: benchmark stand-in\n")
        (where / "data.dvc").write_text(f"outs:\n- md5: {'2' * 32}.dir\n  path: data\n")
        (where / "reports/metrics.json").write_text('{"roc_auc": 0.7}\n')
    (src / ".gitignore").write_text("/fleet/*/models/\n")
    return publish(src, base)


def clone(origin: Path, dest: Path, model: str) -> Path:
    """A promoter's clone with its model trained (the git-ignored pin `dvc repro` writes)."""
    sh(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    pin = dest / "fleet" / model / "models" / "model.sha256"
    pin.parent.mkdir(parents=True)
    pin.write_text(sha(f"model {model}") + "\n")
    return dest


def bench_concurrent(base: Path, n: int) -> tuple[int, float, float, list[int]]:
    """(landed, total seconds, CPU seconds, attempts each) for n racing promotions of n models."""
    models = [name(i) for i in range(n)]
    origin = seed_origin(base, models)
    clones = [clone(origin, base / f"c{i}", m) for i, m in enumerate(models)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [str(BIN / "model"), "promote", "staging", "--model", m, "--image", image(m), "--push"],
            cwd=c, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for m, c in zip(models, clones, strict=True)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    failed = [out for p, out in zip(procs, outputs, strict=True) if p.returncode != 0]
    if failed:
        print(f"  {len(failed)} promotion(s) failed; first: {failed[0].strip()[-300:]}")
    landed = audit.ledger(origin, "staging", model=None)  # the origin's own history
    if sorted(e.release.model for e in landed) != sorted(set(e.release.model for e in landed)):
        raise AssertionError("a model landed twice")
    attempts = [
        int(out.split("(attempt ")[1].split(")")[0]) for out in outputs if "(attempt " in out
    ]
    return len({e.release.model for e in landed} & set(models)), total, cpu, attempts


def synthetic_fleet(path: Path, models: int) -> Path:
    """models x 10 promotions (interleaved, staging then prod), one release file per commit."""
    sh(["git", "init", "-q", "-b", "main", str(path)], path.parent)
    chunks = []
    for k in range(PROMOTIONS_PER_MODEL * models):
        model, i = name(k % models), k // models
        env = ("staging", "prod")[i % 2]
        rel = Release(
            environment=env, model_version=f"v{i // 2}", model_sha256=sha(f"{model} {i // 2}"),
            data_md5="d" * 32, image=f"ghcr.io/acme/{model}",
            image_digest=image(model, i // 2).split("@")[1], source_commit="c" * 40,
            source_pr=str(k), metrics="roc_auc=0.7", promoted_by="Bench <b@x>", model=model,
        )  # fmt: skip
        msg = message(f"promote {env}: model {model} v{i // 2}", "", rel).encode()
        blob = f"model: {model}\ndigest: {rel.image_digest}\n".encode()
        file = f"deploy/{env}/{model}.yaml".encode()
        chunks.append(
            b"commit refs/heads/main\n"
            + f"committer Bench <b@x> {1_700_000_000 + k * 60} +0000\n".encode()
            + b"data %d\n%s\n" % (len(msg), msg)
            + b"M 100644 inline %s\ndata %d\n%s\n" % (file, len(blob), blob)
        )
    sh(["git", "fast-import", "--quiet"], path, stdin=b"".join(chunks))
    sh(["git", "reset", "-q", "--hard", "main"], path)
    return path


def median_time(cmd: list[str], cwd: Path, repeats: int) -> tuple[float, float]:
    """(wall, CPU) medians of a command; CPU (user+sys, git children included) is what a busy
    shared machine distorts least."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        sh(cmd, cwd)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


# models; CLI one model (wall, CPU), whole fleet (wall, CPU); in-process ledger one, fleet
Row = tuple[int, float, float, float, float, float, float]


def bench_audit(base: Path, sizes: list[int], repeats: int) -> list[Row]:
    """`model audit --model X` and `model audit` medians per fleet size."""
    rows = []
    for models in sizes:
        repo = synthetic_fleet(base / f"fleet{models}", models)
        one = name(models // 2)
        entries = audit.ledger(repo, model=one)
        assert len(entries) == PROMOTIONS_PER_MODEL, (len(entries), one)
        assert len(audit.ledger(repo, model=None)) == PROMOTIONS_PER_MODEL * models
        single = median_time([str(BIN / "model"), "audit", "--model", one], repo, repeats)
        whole = median_time([str(BIN / "model"), "audit"], repo, repeats)
        inproc_one = median_call(lambda r=repo, m=one: audit.read(r, model=m), repeats)
        inproc_all = median_call(
            lambda r=repo: audit.render(audit.read(r, model=None).entries, "table"), repeats
        )
        rows.append((models, *single, *whole, inproc_one, inproc_all))
    return rows


def slope(rows: list[Row], column: int) -> float:
    """Growth exponent: log-log slope between the smallest and the largest fleet."""
    first, last = rows[0], rows[-1]
    return math.log(last[column] / first[column]) / math.log(last[0] / first[0])


def race(base: Path, racers: int) -> None:
    """Part 1, printed."""
    (base / "race").mkdir()
    landed, total, cpu, attempts = bench_concurrent(base / "race", racers)
    ok = landed == racers and total <= 60
    print(
        f"{racers} concurrent promote --model --push (CLI, one bare origin): "
        f"{landed}/{racers} landed in {total:.1f} s; push attempts median "
        f"{statistics.median(attempts or [0]):.0f}, max {max(attempts or [0])}, "
        f"total {sum(attempts)}   target {racers}/{racers}, <= 60 s: {'OK' if ok else 'MISSED'}"
    )
    print(
        f"  CPU used by the {racers} promoters and their git processes: {cpu:.1f} s "
        f"({cpu / racers:.2f} s each; on {os.cpu_count()} cores the wall floor is "
        f"{cpu / (os.cpu_count() or 1):.1f} s when nothing else runs)"
    )


def audit_scaling(base: Path, repeats: int) -> None:
    """Part 2, printed."""
    print(f"audit over generated fleets ({PROMOTIONS_PER_MODEL} promotions each; medians, CLI "
          "with interpreter start; wall / CPU):")  # fmt: skip
    print(
        f"  {'models':>7} {'commits':>8} {'audit --model X':>20} {'audit (fleet)':>20}"
        f" {'ledger: one':>12} {'ledger: fleet':>14}  (in-process, wall)"
    )
    rows = bench_audit(base, [10, 100, 1000], repeats)
    for models, one, one_cpu, whole, whole_cpu, in_one, in_all in rows:
        print(
            f"  {models:>7} {models * PROMOTIONS_PER_MODEL:>8} "
            f"{one:>10.3f} / {one_cpu:.3f}s {whole:>10.3f} / {whole_cpu:.3f}s"
            f" {in_one:>11.3f}s {in_all:>13.3f}s"
        )
    _, one, one_cpu, whole, whole_cpu, _, _ = rows[-1]
    print(
        f"1,000 models: one model {one:.3f} s wall, {one_cpu:.3f} s CPU (target <= 0.5 s: "
        f"{'OK' if one <= 0.5 else 'MISSED'}); whole fleet {whole:.3f} s wall, {whole_cpu:.3f} s "
        f"CPU (target <= 2 s: {'OK' if whole <= 2 else 'MISSED'})"
    )
    print(
        f"growth exponent 10->1,000 models (log-log slope; 1 = linear): one model "
        f"{slope(rows, 1):.2f} wall, {slope(rows, 2):.2f} CPU; whole fleet {slope(rows, 3):.2f} "
        f"wall, {slope(rows, 4):.2f} CPU; in-process ledger (no interpreter start): one model "
        f"{slope(rows, 5):.2f}, whole fleet {slope(rows, 6):.2f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    ap.add_argument("--racers", type=int, default=50, help="concurrent promotions (default 50)")
    ap.add_argument("--part", choices=("all", "race", "audit"), default="all", help="what to run")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="fleet-promote-bench-") as tmp:
        base = Path(tmp)
        if args.part in ("all", "race"):
            race(base, args.racers)
        if args.part in ("all", "audit"):
            audit_scaling(base, repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
