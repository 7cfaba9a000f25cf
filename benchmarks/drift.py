"""Drift check on 100k sampled rows: target <= 5 s on this machine (issue 6).

Builds 100k "served" rows by resampling the real credit_data set, writes them in the
server's sampled-log format (samples-*.jsonl), then times, in one process:
  - compute: `drift.compare` on in-memory frames (reference 4,454 rows vs 100k current);
  - end-to-end: read the JSONL directory + compare + write drift.json/drift.md;
  - from the bucket: the same files in an S3 bucket (moto's server on 127.0.0.1, in this
    process), read by `model drift --current s3://…`'s reader + compare + write.
Prints the medians and their ratio to the 5 s budget (issue 13: the bucket case <= 5 s).
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


def upload(directory: Path) -> tuple[object, str]:
    """Serve moto's S3 on 127.0.0.1, copy the sample files into a bucket; (server, URI)."""
    import logging
    import os
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
    )  # fmt: skip
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="samples")
    for i, f in enumerate(sorted(directory.glob("samples-*.jsonl"))):  # two pods' folders
        s3.put_object(Bucket="samples", Key=f"prod/pod-{i % 2}/{f.name}", Body=f.read_bytes())
    return server, "s3://samples/prod"


def main() -> int:
    """Run the measurements REPEATS times and print medians."""
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
        server, uri = upload(log)
        try:
            from_bucket = [
                timed(lambda: write_report(compare(ref, read_current(uri)), out))
                for _ in range(REPEATS)
            ]
            assert len(read_current(uri)) == ROWS
        finally:
            server.stop()  # type: ignore[attr-defined]
    med_c, med_e = statistics.median(compute), statistics.median(end_to_end)
    med_b = statistics.median(from_bucket)
    print(f"drift check, {ROWS:,} current rows vs {len(ref):,} reference rows, {REPEATS} runs")
    print(f"  compute only (in-memory frames):      median {med_c:.3f} s")
    print(f"  end to end (read JSONL, compare, write): median {med_e:.3f} s")
    print(f"  from the bucket (S3 API, moto on 127.0.0.1): median {med_b:.3f} s")
    print(f"  budget {BUDGET_S:.1f} s: end-to-end uses {med_e / BUDGET_S:.0%} of it, "
          f"from the bucket {med_b / BUDGET_S:.0%}")  # fmt: skip
    print(f"  same-distribution sample flagged drift: {verdict.drifted} {verdict.drifted_columns}")
    return 0 if max(med_e, med_b) <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
