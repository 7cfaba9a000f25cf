"""`make demo` timings: cold (no project image layers or build cache) and warm, by step.

Cold keeps the debootstrap base image (built once and cached, as the issue allows) but removes
the project's images and Docker's build cache. Usage: `uv run python benchmarks/demo.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKER = shutil.which("/usr/bin/docker") or shutil.which("docker")
TARGETS = {"cold": 300.0, "warm": 120.0}


def forget_project_images() -> None:
    """Remove credit-scoring images and the build cache; keep the base image."""
    if DOCKER is None:
        return
    images = subprocess.run(
        [DOCKER, "images", "-q", "credit-scoring"], capture_output=True, text=True
    ).stdout.split()
    if images:
        subprocess.run([DOCKER, "rmi", "-f", *sorted(set(images))], capture_output=True)
    subprocess.run([DOCKER, "builder", "prune", "-af"], capture_output=True)


def child_env(keep_sandbox_flag: bool) -> dict[str, str]:
    """The environment for the demo. This sandbox sets PYTHONDONTWRITEBYTECODE=1, so each of
    the demo's many short-lived Python processes recompiles every module (about 1 s each);
    a normal machine caches bytecode. Measure as a normal machine unless told otherwise."""
    env = dict(os.environ)
    if not keep_sandbox_flag:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def play(label: str, workdir: Path, env: dict[str, str]) -> tuple[float, list[dict[str, float]]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "model", "demo", "--workdir", str(workdir), "--source", str(ROOT)],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    total = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{label} demo failed:\n{proc.stdout[-4000:]}")
    return total, json.loads((workdir / "demo-summary.json").read_text())["steps"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep-no-bytecode", action="store_true",
                    help="keep this sandbox's PYTHONDONTWRITEBYTECODE=1 for the demo")  # fmt: skip
    keep = ap.parse_args().keep_no_bytecode
    env = child_env(keep)
    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    try:
        forget_project_images()
        runs = {"cold": play("cold", tmp / "cold", env), "warm": play("warm", tmp / "warm", env)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"docker engine: {'yes' if DOCKER else 'no (pods previewed as processes)'}")
    print(
        f"PYTHONDONTWRITEBYTECODE: {env.get('PYTHONDONTWRITEBYTECODE', 'unset (bytecode cached)')}"
    )
    steps = [s["step"] for s in runs["cold"][1]]
    print(f"{'step':58} {'cold s':>8} {'warm s':>8}")
    for i, step in enumerate(steps):
        print(
            f"{step:58} {runs['cold'][1][i]['seconds']:8.1f} {runs['warm'][1][i]['seconds']:8.1f}"
        )
    for label, (total, _) in runs.items():
        target = TARGETS[label]
        print(f"{label:5} total {total:7.1f} s  target {target:.0f} s  ratio {total / target:.2f}")


if __name__ == "__main__":
    main()
