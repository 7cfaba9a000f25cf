"""Drift check on 100k sampled rows: target <= 5 s on this machine (issue 6).

Builds 100k "served" rows by resampling the real credit_data set, writes them in the
server's sampled-log format (samples-*.jsonl), then times, in one process:
  - compute: `drift.compare` on in-memory frames (reference 4,454 rows vs 100k current);
  - end-to-end: read the JSONL directory + compare + write drift.json/drift.md.
Prints the medians and their ratio to the 5 s budget.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model.core.dataset import packaged_bytes
from model.core.features import feature_frame
from model.core.schema import CREDIT_CONTRACT
from model.monitoring.drift import compare
from model.monitoring.drift_io import read_current, write_report

ROWS = 100_000
REPEATS = 5
BUDGET_S = 5.0
ROWS_PER_FILE = 20_000  # the server rotates its log; several files is the realistic case


def make_samples(raw: pd.DataFrame, directory: Path, seed: int = 0) -> pd.DataFrame:
    """Write ROWS resampled rows with a score as rotating samples-*.jsonl files."""
    rng = np.random.default_rng(seed)
    rows = raw.iloc[rng.integers(0, len(raw), ROWS)].reset_index(drop=True)
    scores = rng.beta(2, 5, ROWS)
    feats = rows[CREDIT_CONTRACT.feature_names].astype(object).where(rows.notna(), None)
    records = feats.to_dict(orient="records")
    for start in range(0, ROWS, ROWS_PER_FILE):
        with (directory / f"samples-{start // ROWS_PER_FILE:04d}.jsonl").open("w") as fh:
            for i in range(start, min(start + ROWS_PER_FILE, ROWS)):
                obj = {"ts": 1.7e9 + i, "features": records[i], "score": float(scores[i])}
                fh.write(json.dumps(obj) + "\n")
    return rows.assign(score=scores)


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> int:
    """Run both measurements REPEATS times and print medians."""
    raw = pd.read_csv(io.BytesIO(packaged_bytes()))
    ref = feature_frame(raw).assign(score=np.random.default_rng(1).beta(2, 5, len(raw)))
    with tempfile.TemporaryDirectory() as tmp:
        log, out = Path(tmp, "log"), Path(tmp, "out")
        log.mkdir()
        served = make_samples(raw, log)
        current = feature_frame(served).assign(score=served["score"].to_numpy())
        compute = [timed(lambda: compare(ref, current)) for _ in range(REPEATS)]
        end_to_end = [
            timed(lambda: write_report(compare(ref, read_current(log)), out))
            for _ in range(REPEATS)
        ]
        verdict = compare(ref, read_current(log))
    med_c, med_e = statistics.median(compute), statistics.median(end_to_end)
    print(f"drift check, {ROWS:,} current rows vs {len(ref):,} reference rows, {REPEATS} runs")
    print(f"  compute only (in-memory frames):      median {med_c:.3f} s")
    print(f"  end to end (read JSONL, compare, write): median {med_e:.3f} s")
    print(f"  budget {BUDGET_S:.1f} s: end-to-end uses {med_e / BUDGET_S:.0%} of it")
    print(f"  same-distribution sample flagged drift: {verdict.drifted} {verdict.drifted_columns}")
    return 0 if med_e <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
