"""The compiled one-row scorer against ONNX Runtime, on every model in this repository.

For each model folder (models/ and fleet/*/models/): whether it compiles, how many of N
random rows give ONNX Runtime's very float32 and the largest gap, the scorer's size, the
time to build and probe it, and µs per one-row score both ways (min of 5 rounds). Random
rows: each numeric feature uniform over its contract range (rounded to an integer for
integer columns), null for nullable ones one time in ten, categories uniform.

    uv run python benchmarks/compiled_scorer.py [--rows 3000] [--no-rss]

Then resident memory of repository mode under churn, each arm in its own process: 300
distinct models loaded in turn with 100 resident, with no compiled scorers, with them, and
with them but without the compile thread's malloc_trim.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from model import config
from model.serving.inference import OnnxModel
from model.serving.schema import RequestSchema

ROOT = Path(__file__).resolve().parents[1]


def _random_row(schema: RequestSchema, rng: np.random.Generator) -> dict[str, list[Any]]:
    row: dict[str, list[Any]] = {}
    for f in schema.fields:
        c = f.column
        if c.kind == "category":
            row[f.name] = [sorted(c.categories)[int(rng.integers(len(c.categories)))]]
            continue
        low = c.minimum if c.minimum is not None else 0.0
        high = c.maximum if c.maximum is not None else low + 1e5
        value = float(rng.uniform(low, min(high, low + 1e5)))
        value = float(round(value)) if c.kind == "int" else value
        row[f.name] = [float("nan") if c.nullable and rng.random() < 0.1 else value]
    return row


def _best_us(fn: Any, arg: Any, n: int = 5000) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn(arg)
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def measure(model_dir: Path, rows: int, seed: int = 0) -> dict[str, Any]:
    """One model's figures."""
    onnx = (model_dir / "model.onnx").read_bytes()
    meta = json.loads((model_dir / "model.json").read_text())
    schema = RequestSchema.from_model_meta(meta, 100)
    os.environ[config.MODEL_COMPILED_TREES] = "0"  # built below, timed
    try:
        model = OnnxModel(onnx, schema)
    finally:
        del os.environ[config.MODEL_COMPILED_TREES]
    start = time.perf_counter()
    model.compile(onnx)
    build_ms = (time.perf_counter() - start) * 1e3
    scorer = model.compiled
    if scorer is None:
        return {"model": str(model_dir.relative_to(ROOT)), "compiled": False}
    rng = np.random.default_rng(seed)
    sample = [_random_row(schema, rng) for _ in range(rows)]
    ort = [float(model._probabilities(row, 1)[0, 1]) for row in sample]
    ours = [scorer(row) for row in sample]
    gaps = np.abs(np.array(ours) - np.array(ort))
    arrays = (scorer._features, scorer._thresholds, scorer._leaves, scorer.trees.padding)
    return {
        "model": str(model_dir.relative_to(ROOT)),
        "compiled": True,
        "rows": rows,
        "identical": int((gaps == 0).sum()),
        "max_gap": float(gaps.max()),
        "bytes": sum(a.nbytes for a in arrays),
        "build_ms": build_ms,
        "ort_us": _best_us(lambda row: model._probabilities(row, 1), sample[0]),
        "compiled_us": _best_us(scorer, sample[0]),
    }


def churn_rss_mb(arm: str, loads: int = 300, resident: int = 100) -> float:
    """Resident MB after `loads` distinct models loaded in turn under a budget of `resident`,
    every background compile finished (run in a fresh process per arm)."""
    from serving_oip import _distinct_models

    from model.serving import repository as repo_module
    from model.serving.repository import MemoryBudget, Repository, read_catalog

    if arm == "off":
        os.environ[config.MODEL_COMPILED_TREES] = "0"
    elif arm == "untrimmed":
        repo_module._trim = lambda: None  # the arm without malloc_trim
    with tempfile.TemporaryDirectory() as tmp:
        index = _distinct_models(ROOT / "models", Path(tmp), loads)
        repo = Repository(read_catalog(index, False), MemoryBudget(models=resident), 100)
        for i in range(loads):
            repo.load(f"m{i:04d}")
        while repo.compiling:
            time.sleep(0.05)
        repo.close()
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--no-rss", action="store_true", help="skip the memory arms")
    parser.add_argument("--rss-arm", choices=["off", "on", "untrimmed"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_arm:
        print(churn_rss_mb(args.rss_arm))
        return
    folders = [ROOT / "models", *sorted((ROOT / "fleet").glob("*/models"))]
    results = [measure(folder, args.rows) for folder in folders]
    for r in results:
        if not r["compiled"]:
            print(f"{r['model']}: does not compile; ONNX Runtime scores every row")
            continue
        print(
            f"{r['model']}: {r['identical']:,} of {r['rows']:,} random rows identical to "
            f"ONNX Runtime (largest gap {r['max_gap']:.1e}); {r['bytes'] / 1024:.0f} KB; "
            f"built and probed in {r['build_ms']:.1f} ms; one row {r['compiled_us']:.1f} us "
            f"vs ONNX Runtime {r['ort_us']:.1f} us ({r['ort_us'] / r['compiled_us']:.2f}x)"
        )
    done = [r for r in results if r["compiled"]]
    print(
        f"all: {sum(r['identical'] for r in done):,} of {sum(r['rows'] for r in done):,} rows "
        f"identical across {len(done)} of {len(results)} models; largest gap "
        f"{max(r['max_gap'] for r in done):.1e}"
    )
    if args.no_rss:
        return
    me = [sys.executable, str(Path(__file__).resolve())]
    env = {k: v for k, v in os.environ.items() if k != config.MODEL_COMPILED_TREES}
    rss = {
        arm: float(subprocess.run([*me, "--rss-arm", arm], capture_output=True, text=True,
                                  check=True, env=env).stdout.split()[-1])
        for arm in ("off", "on", "untrimmed")
    }  # fmt: skip
    print(
        f"repository mode, 300 distinct models loaded in turn, 100 resident: RSS "
        f"{rss['off']:.0f} MB with no compiled scorers, {rss['on']:.0f} MB with them, "
        f"{rss['untrimmed']:.0f} MB with them but no malloc_trim after each compile"
    )


if __name__ == "__main__":
    main()
