"""GitOps benchmarks against local bare repositories (one process; prints medians and ratios).

  uv run python benchmarks/gitops.py [--quick]

1. one `model promote staging --push` (the CLI, as CI runs it)      target <= 2 s
2. 8 concurrent `model promote staging --push`: all land, total time
3. `model audit` over synthetic histories of 1k..10k promotions      target <= 0.5 s at 10k,
   against the floor: plain `git log` with trailers (0.09 s at 10k on this machine)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from model.gitops import audit  # noqa: E402
from model.gitops.trailers import Release, message  # noqa: E402

BIN = Path(sys.executable).parent
# Bytecode caching on, as on a normal install: this sandbox sets PYTHONDONTWRITEBYTECODE=1,
# which makes every `model` process recompile ~1,100 modules (~0.9 s) before doing anything.
_INHERITED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV = {  # never in GitHub Actions here: promotions read the actor from git, not GITHUB_ACTOR
    **{k: v for k, v in _INHERITED.items() if k not in ("GITHUB_ACTIONS", "GITHUB_ACTOR")},
    "MODEL_REGISTRY": "0",
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
}
MODEL = b"benchmark stand-in for models/model.onnx\n"
META = b'{"threshold": 0.5}\n'  # models/model.json: the model digest covers it too
IMAGE = "ghcr.io/org/credit-scoring"


def sh(cmd: list[str], cwd: Path) -> str:
    """Run a command, fail loudly."""
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=True).stdout


def digest(i: int) -> str:
    """A distinct digest per integer."""
    return "sha256:" + hashlib.sha256(str(i).encode()).hexdigest()


def publish(src: Path, base: Path) -> Path:
    """Commit `src` as main's one commit; return its bare clone, base/origin.git."""
    sh(["git", "init", "-q", "-b", "main"], src)
    sh(["git", "add", "-A"], src)
    sh(["git", "commit", "-q", "-m", "seed"], src)
    sh(["git", "clone", "-q", "--bare", str(src), str(base / "origin.git")], base)
    return base / "origin.git"


def seed_origin(base: Path) -> Path:
    """A bare origin whose main pins MODEL in dvc.lock and carries our k8s/ tree."""
    src = base / "src"
    shutil.copytree(ROOT / "k8s", src / "k8s")
    shutil.copytree(ROOT / "argocd", src / "argocd")
    md5 = hashlib.md5(MODEL, usedforsecurity=False).hexdigest()
    meta_md5 = hashlib.md5(META, usedforsecurity=False).hexdigest()
    (src / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    cmd: x\n    outs:\n"
        f"    - path: models/model.onnx\n      md5: {md5}\n"
        f"    - path: models/model.json\n      md5: {meta_md5}\n"
    )
    (src / ".gitignore").write_text("/models/\n")
    return publish(src, base)


def clone(origin: Path, dest: Path) -> Path:
    """A promoter's clone with the pinned model in place."""
    sh(["git", "clone", "-q", str(origin), str(dest)], dest.parent)
    (dest / "models").mkdir()
    (dest / "models/model.onnx").write_bytes(MODEL)
    (dest / "models/model.json").write_bytes(META)
    return dest


def promote_cmd(i: int) -> list[str]:
    return [str(BIN / "model"), "promote", "staging", "--image", f"{IMAGE}@{digest(i)}", "--push"]


def bench_single(base: Path, repeats: int) -> float:
    """Median wall time of one CLI promotion with push."""
    ws = clone(seed_origin(base / "single"), base / "single" / "ws")
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        sh(promote_cmd(i), ws)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_concurrent(base: Path, rounds: int, n: int = 8) -> list[float]:
    """Total wall time of n racing promotions, per round; asserts all n landed each time."""
    totals = []
    for r in range(rounds):
        origin = seed_origin(base / f"race{r}")
        clones = [clone(origin, base / f"race{r}" / f"p{i}") for i in range(n)]
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                promote_cmd(1000 * r + i),
                cwd=c,
                env=ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i, c in enumerate(clones)
        ]
        codes = [p.wait(timeout=600) for p in procs]
        totals.append(time.perf_counter() - t0)
        assert codes == [0] * n, [p.stderr.read() for p in procs if p.stderr]  # type: ignore[union-attr]
        sh(["git", "fetch", "-q"], clones[0])
        landed = audit.ledger(clones[0], "staging", rev="origin/main")
        assert {e.release.image_digest for e in landed} == {digest(1000 * r + i) for i in range(n)}
    return totals


def synthetic_history(path: Path, n: int) -> Path:
    """A repo with n promotion commits (trailers and all), written with git fast-import."""
    sh(["git", "init", "-q", "-b", "main", str(path)], path.parent)
    chunks = []
    for i in range(n):
        env = ("staging", "prod")[i % 2]
        rel = Release(
            environment=env,
            model_version=f"v{i}",
            model_sha256=hashlib.sha256(b"%d" % i).hexdigest(),
            data_md5="d" * 32,
            image=IMAGE,
            image_digest=digest(i),
            source_commit="c" * 40,
            source_pr=str(i),
            metrics="f1=0.58,roc_auc=0.83",
            promoted_by="Bench <b@x>",
        )
        msg = message(f"promote {env}: model v{i}", "", rel).encode()
        blob = f"digest: {digest(i)}\n".encode()
        when = 1_700_000_000 + i * 60
        overlay_file = b"k8s/overlays/%s/kustomization.yaml" % env.encode()
        chunks.append(
            b"commit refs/heads/main\n"
            + f"committer Bench <b@x> {when} +0000\n".encode()
            + b"data %d\n%s\n" % (len(msg), msg)
            + b"M 100644 inline %s\ndata %d\n%s\n" % (overlay_file, len(blob), blob)
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(chunks), check=True)
    sh(["git", "reset", "-q", "--hard", "main"], path)
    return path


def median_time(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_audit(
    base: Path, sizes: list[int], repeats: int
) -> list[tuple[int, float, float, float]]:
    """(n, git log floor, in-process ledger+table, full `model audit` CLI) medians per size."""
    rows = []
    for n in sizes:
        repo = synthetic_history(base / f"hist{n}", n)
        floor = median_time(
            lambda r=repo: sh(["git", "log", f"--format={audit.LOG_FORMAT}"], r), repeats
        )
        inproc = median_time(lambda r=repo: audit.render(audit.ledger(r), "table"), repeats)
        entries = audit.ledger(repo)
        assert len(entries) == n, (len(entries), n)
        cli = median_time(lambda r=repo: sh([str(BIN / "model"), "audit"], r), repeats)
        rows.append((n, floor, inproc, cli))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="gitops-bench-") as tmp:
        base = Path(tmp)
        single = bench_single(base, repeats)
        print(
            f"one promote --push (CLI, bare origin):  median {single:.2f} s   target <= 2 s   "
            f"{'OK' if single <= 2 else 'MISSED'}"
        )
        totals = bench_concurrent(base, 1 if args.quick else 3)
        print(
            f"8 concurrent promote --push: all 8 landed every round; total median "
            f"{statistics.median(totals):.2f} s (rounds: {', '.join(f'{t:.2f}' for t in totals)})"
        )
        print("audit over synthetic promotion histories (medians):")
        head = ("commits", "git log floor", "ledger+table", "model audit CLI", "ratio vs floor")
        print("  " + " ".join(f"{h:>{w}}" for h, w in zip(head, (8, 14, 13, 16, 15), strict=True)))
        rows = bench_audit(base, [1000, 2000, 5000, 10000], repeats)
        for n, floor, inproc, cli in rows:
            print(
                f"  {n:>8} {floor:>13.3f}s {inproc:>12.3f}s {cli:>15.3f}s {inproc / floor:>14.1f}x"
            )
        n, floor, inproc, cli = rows[-1]
        growth = inproc / rows[0][2]
        verdict = "OK" if inproc <= 0.5 else "MISSED"
        print(
            f"10k: ledger+table {inproc:.3f} s (target <= 0.5 s: {verdict}); "
            f"CLI incl. interpreter start {cli:.3f} s; "
            f"1k->10k growth {growth:.1f}x (linear would be 10x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
