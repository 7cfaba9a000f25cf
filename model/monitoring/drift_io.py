"""Inputs and outputs of `model drift`: reference/current readers, scoring, report writers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.monitoring.drift import SCORE, DriftInputError, DriftReport

if TYPE_CHECKING:
    import pandas as pd

    from model.core.schema import Contract

SAMPLE_GLOB = "samples-*.jsonl"
SCORE_ALIASES = ("score", "proba")  # proba: the column reports/predictions.csv uses
REPORT_JSON = "drift.json"
REPORT_MD = "drift.md"


def _features(df: pd.DataFrame, label: str, contract: Contract | None) -> pd.DataFrame:
    from model.core.features import feature_frame
    from model.core.schema import CREDIT_CONTRACT

    contract = contract or CREDIT_CONTRACT
    missing = [n for n in contract.feature_names if n not in df]
    if missing:
        raise DriftInputError(
            f"the {label} data lacks feature column(s) {', '.join(missing)}; "
            f"found columns {', '.join(map(str, df.columns)) or '(none)'}"
        )
    try:
        out = feature_frame(df, contract)
    except (ValueError, TypeError) as err:
        raise DriftInputError(
            f"the {label} data has a non-numeric value in a numeric feature: {err}"
        ) from err
    for alias in SCORE_ALIASES:
        if alias in df:
            out[SCORE] = df[alias].astype("float64").to_numpy()
            break
    return out


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return read_samples([path])
    return pd.read_csv(path, keep_default_na=True)


def read_reference(path: Path, contract: Contract | None = None) -> pd.DataFrame:
    """The reference (training) data as a feature frame, with `score` if it carries one.

    `contract` names the features (default: the root model's); so for the readers below.
    """
    if not path.is_file():
        raise DriftInputError(f"reference file {path} not found; pass the training CSV")
    return _features(_read_table(path), f"reference ({path})", contract)


def sample_files(path: Path) -> list[Path]:
    """The sampled-log files a path names: a directory of samples-*.jsonl, or one file."""
    if path.is_dir():
        files = sorted(path.glob(SAMPLE_GLOB))
        if not files:
            raise DriftInputError(
                f"no {SAMPLE_GLOB} files in {path}; is sampling on (MODEL_SAMPLE_RATE)?"
            )
        return files
    if path.is_file():
        return [path]
    raise DriftInputError(
        f"current data {path} not found; pass a sample directory or a CSV/JSONL file"
    )


def _json_loads() -> Callable[[bytes], Any]:
    try:
        import orjson  # the serve extra's parser: roughly 2x faster on a 100k-line log

        return orjson.loads
    except ImportError:
        return json.loads


def read_samples(files: list[Path]) -> pd.DataFrame:
    """Rows of the server's sampled log: one JSON object per line with features and score."""
    return parse_samples((f.read_bytes() for f in files), ", ".join(map(str, files)))


def parse_samples(blobs: Iterable[bytes], where: str) -> pd.DataFrame:
    """Sampled-log lines (file or object bodies) as a frame of features plus `score`."""
    import pandas as pd

    loads = _json_loads()
    rows, scores = [], []
    for blob in blobs:
        for line in blob.splitlines():
            try:
                obj = loads(line)
                rows.append(obj["features"])
                scores.append(obj.get("score"))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by rotation or a crash; the rest is still valid
    if not rows:
        raise DriftInputError(f"no readable sample lines in {where}")
    frame = pd.DataFrame.from_records(rows)
    if any(s is not None for s in scores):
        frame[SCORE] = pd.to_numeric(pd.Series(scores, dtype="object"), errors="coerce")
    return frame


def read_bucket_samples(uri: str) -> pd.DataFrame:
    """Every samples-*.jsonl object under an s3:// prefix (all pods' folders) as one frame."""
    from model.monitoring.bucket import BucketError, list_objects, read_objects

    try:
        keys = [o.key for o in list_objects(uri, SAMPLE_GLOB)]
        if not keys:
            raise DriftInputError(
                f"no {SAMPLE_GLOB} objects under {uri}; do the servers sample to it "
                "(MODEL_SAMPLE_RATE > 0, MODEL_SAMPLE_DIR set to this URI)?"
            )
        return parse_samples(read_objects(uri, keys), uri)
    except BucketError as err:
        raise DriftInputError(str(err)) from err


def read_current(current: str | Path, contract: Contract | None = None) -> pd.DataFrame:
    """Current traffic as a feature frame: s3:// samples, a sampled-log dir/JSONL, a CSV."""
    from model.monitoring.bucket import is_uri

    if is_uri(str(current)):
        return _features(read_bucket_samples(str(current)), f"current ({current})", contract)
    path = Path(current)
    files = sample_files(path)
    raw = read_samples(files) if path.is_dir() else _read_table(path)
    return _features(raw, f"current ({path})", contract)


def add_scores(
    frame: pd.DataFrame, model_path: Path, contract: Contract | None = None
) -> pd.DataFrame:
    """Score rows with the served ONNX model when the frame has no scores of its own."""
    from model.core.export import onnx_proba
    from model.core.schema import CREDIT_CONTRACT

    if SCORE in frame or not model_path.is_file():
        return frame
    contract = contract or CREDIT_CONTRACT
    out = frame.copy()
    out[SCORE] = onnx_proba(model_path.read_bytes(), frame[contract.feature_names], contract)
    return out


def render_markdown(report: DriftReport) -> str:
    """The drift report for people: verdict, thresholds, one row per column."""
    verdict = (
        f"**Drift detected** in {', '.join(f'`{c}`' for c in report.drifted_columns)}."
        if report.drifted
        else "**No drift** above the thresholds."
    )
    lines = [
        "# Drift report",
        "",
        verdict,
        "",
        f"Reference rows: {report.n_reference}; current rows: {report.n_current}. A column drifts "
        f"when PSI > {report.psi_threshold} and the test's p < {report.alpha}.",
        "",
        "| column | kind | PSI | test | statistic | p-value | missing ref → cur | drift |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for c in report.columns:
        flag = "**yes**" if c.drifted else "no"
        lines.append(
            f"| {c.name} | {c.kind} | {c.psi:.4f} | {c.test} | {c.statistic:.4f} | {c.p_value:.3g} "
            f"| {c.missing_reference:.1%} → {c.missing_current:.1%} | {flag} |"
        )
    lines += ["", *(f"- {n}" for n in report.notes)]
    return "\n".join(lines).rstrip() + "\n"


def write_report(report: DriftReport, out_dir: Path) -> tuple[Path, Path]:
    """Write drift.json (sorted keys, stable) and drift.md into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / REPORT_JSON, out_dir / REPORT_MD
    js.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    md.write_text(render_markdown(report))
    return js, md
