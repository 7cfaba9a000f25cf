"""The compiled one-row scorer against ONNX Runtime, on every model in this repository.

For each model folder (models/ and fleet/*/models/): whether it compiles, how many of N
random rows give ONNX Runtime's very float32 and the largest gap, the scorer's size, the
time to build and probe it, and µs per one-row score both ways (min of 5 rounds). Random
rows: each numeric feature uniform over its contract range (rounded to an integer for
integer columns), null for nullable ones one time in ten, categories uniform.

    uv run python benchmarks/compiled_scorer.py [--rows 3000]
"""

from __future__ import annotations

import argparse
import json
import os
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
    os.environ[config.MODEL_COMPILED_TREES] = "0"
    model = OnnxModel(onnx, schema)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
