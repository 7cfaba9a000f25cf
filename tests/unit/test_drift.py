"""Drift detection on the real credit_data set: controlled shifts are found, noise is not."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model.cli.app import _register_commands, app
from model.core.dataset import packaged_bytes
from model.core.features import feature_frame
from model.core.schema import CREDIT_CONTRACT
from model.monitoring.drift import (
    DriftInputError,
    column_drift,
    compare,
    numeric_counts,
    psi,
    quantile_edges,
)
from model.monitoring.drift_io import read_current, read_reference, write_report

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(packaged_bytes()))


def halves(raw: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two random, disjoint halves of the real data: same distribution by construction."""
    idx = np.random.default_rng(seed).permutation(len(raw))
    half = len(raw) // 2
    return raw.iloc[idx[:half]].copy(), raw.iloc[idx[half:]].copy()


def shifted(df: pd.DataFrame, seed: int, share: float = 0.7) -> pd.DataFrame:
    """Income x1.5 and Age +12 years for a random `share` of the rows."""
    out = df.copy()
    mask = np.random.default_rng(seed).random(len(out)) < share
    out.loc[mask, "Income"] = out.loc[mask, "Income"] * 1.5
    out.loc[mask, "Age"] = out.loc[mask, "Age"] + 12
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_no_shift_gives_no_alarm(raw: pd.DataFrame, seed: int) -> None:
    ref, cur = halves(raw, seed)
    report = compare(feature_frame(ref), feature_frame(cur))
    assert not report.drifted, report.drifted_columns
    assert max(c.psi for c in report.columns) < 0.05


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_controlled_shift_is_flagged_on_shifted_features_only(raw: pd.DataFrame, seed: int) -> None:
    ref, cur = halves(raw, seed)
    report = compare(feature_frame(ref), feature_frame(shifted(cur, seed)))
    assert report.drifted_columns == ["Age", "Income"]
    by_name = {c.name: c for c in report.columns}
    assert by_name["Income"].p_value < 1e-10 and by_name["Income"].test == "ks"
    assert all(c.psi < 0.05 for c in report.columns if c.name not in {"Age", "Income"})


def test_category_shift_uses_chi_square_and_counts_unseen(raw: pd.DataFrame) -> None:
    ref, cur = halves(raw, 0)
    cur = cur.copy()
    cur.loc[cur.index[: len(cur) // 2], "Home"] = "boat"  # a category the reference never had
    result = compare(feature_frame(ref), feature_frame(cur))
    home = next(c for c in result.columns if c.name == "Home")
    assert home.drifted and home.test == "chi2"
    assert home.bins[-1]["bin"] == "<unseen>" and home.bins[-1]["current"] > 0.4
    assert result.drifted_columns == ["Home"]


def test_score_drift_is_reported_when_both_sides_have_scores(raw: pd.DataFrame) -> None:
    ref, cur = (feature_frame(h) for h in halves(raw, 1))
    rng = np.random.default_rng(3)
    ref["score"] = rng.beta(2, 5, len(ref))
    cur["score"] = rng.beta(4, 3, len(cur))  # the model now says "bad" far more often
    report = compare(ref, cur)
    assert report.drifted_columns == ["score"]
    assert report.notes == []


def test_missing_scores_are_noted_not_invented(raw: pd.DataFrame) -> None:
    ref, cur = (feature_frame(h) for h in halves(raw, 1))
    report = compare(ref, cur)
    assert "score" not in [c.name for c in report.columns]
    assert report.notes == ["score drift not computed: the reference has no scores"]


def test_bins_come_from_the_reference_only() -> None:
    ref = np.arange(1000, dtype="float64")
    edges = quantile_edges(ref, 10)
    assert edges.size == 9
    counts = numeric_counts(np.array([-5.0, 50.0, 950.0, 5000.0, np.nan]), edges)
    assert counts.tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1]  # 10 value bins, then missing
    assert psi(np.full(10, 0.1), np.full(10, 0.1)) == 0.0


def test_identical_columns_have_zero_psi() -> None:
    values = np.random.default_rng(0).normal(size=500)
    result = column_drift("x", values, values.copy(), categorical=False)
    assert result.psi == 0.0 and result.p_value == 1.0 and not result.drifted


def test_missing_feature_column_is_bad_input(raw: pd.DataFrame) -> None:
    ref, cur = (feature_frame(h) for h in halves(raw, 0))
    with pytest.raises(DriftInputError, match="lacks feature column"):
        compare(ref, cur.drop(columns=["Income"]))


def test_too_few_rows_is_bad_input(raw: pd.DataFrame) -> None:
    ref, cur = (feature_frame(h) for h in halves(raw, 0))
    with pytest.raises(DriftInputError, match="at least 50 rows"):
        compare(ref, cur.head(10))


def write_samples(directory: Path, frame: pd.DataFrame, scores: np.ndarray) -> None:
    """Write rows in the server's sampled-log format, ending in a line cut short."""
    directory.mkdir(parents=True, exist_ok=True)
    records = frame[CREDIT_CONTRACT.feature_names].astype(object).where(frame.notna(), None)
    with (directory / "samples-0001.jsonl").open("w") as fh:
        for (_, row), score in zip(records.iterrows(), scores, strict=True):
            fh.write(
                json.dumps({"ts": 1.0, "features": row.to_dict(), "score": float(score)}) + "\n"
            )
        fh.write('{"ts": 2.0, "features": {"Age"')  # rotation cut this one


def test_sampled_log_directory_is_read_with_scores(raw: pd.DataFrame, tmp_path: Path) -> None:
    _, cur = halves(raw, 0)
    write_samples(tmp_path / "log", cur, np.linspace(0, 1, len(cur)))
    frame = read_current(tmp_path / "log")
    assert len(frame) == len(cur)
    assert frame["score"].iloc[-1] == 1.0
    assert frame["Income"].isna().sum() == cur["Income"].isna().sum()


def test_cli_exit_codes(raw: pd.DataFrame, tmp_path: Path) -> None:
    ref, cur = halves(raw, 2)
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "same.csv", index=False)
    shifted(cur, 2).to_csv(tmp_path / "shifted.csv", index=False)
    cur.drop(columns=["Job"]).to_csv(tmp_path / "broken.csv", index=False)
    _register_commands()
    runner = CliRunner()

    def drift(current: str, out: str) -> int:
        args = ["drift", "--reference", str(tmp_path / "ref.csv")]
        args += ["--current", str(tmp_path / current), "--out", str(tmp_path / out)]
        args += ["--onnx", str(tmp_path / "no-model.onnx")]
        return runner.invoke(app, args).exit_code

    assert drift("same.csv", "a") == 0
    assert drift("shifted.csv", "b") == 1
    found = json.loads((tmp_path / "b" / "drift.json").read_text())
    assert found["drifted_columns"] == ["Age", "Income"]
    assert "**Drift detected**" in (tmp_path / "b" / "drift.md").read_text()
    assert drift("broken.csv", "c") == 2
    assert drift("nowhere", "d") == 2
    (tmp_path / "empty").mkdir()
    assert drift("empty", "e") == 2


def test_report_json_is_stable(raw: pd.DataFrame, tmp_path: Path) -> None:
    ref, cur = (feature_frame(h) for h in halves(raw, 4))
    report = compare(ref, cur)
    first = write_report(report, tmp_path / "one")[0].read_bytes()
    second = write_report(compare(ref, cur), tmp_path / "two")[0].read_bytes()
    assert first == second


def test_reference_reader_accepts_predictions_csv(tmp_path: Path, raw: pd.DataFrame) -> None:
    frame = raw.head(60).copy()
    frame["proba"] = 0.25
    frame.to_csv(tmp_path / "predictions.csv", index=False)
    ref = read_reference(tmp_path / "predictions.csv")
    assert (ref["score"] == 0.25).all()


def test_reads_what_the_servers_sampler_writes(raw: pd.DataFrame, tmp_path: Path) -> None:
    from model.serving.sampling import Sampler

    _, cur = halves(raw, 3)
    frame = feature_frame(cur)  # what the server scores: NaN categories are "missing"
    cols = CREDIT_CONTRACT.feature_names
    names = tuple(cols)
    sampler = Sampler(tmp_path / "samples", rate=1.0, max_bytes=64 * 1024, max_files=100)
    scores = np.random.default_rng(0).random(len(frame))
    for start in range(0, len(frame), 100):  # requests of 100 rows; files rotate at 64 KiB
        part = frame.iloc[start : start + 100]
        sampler.record(
            names, {n: part[n].tolist() for n in names}, scores[start : start + 100].tolist()
        )
    sampler.close()
    assert len(list((tmp_path / "samples").glob("samples-*.jsonl"))) > 1
    back = read_current(tmp_path / "samples")
    assert len(back) == len(frame)
    pd.testing.assert_frame_equal(
        back[cols].reset_index(drop=True), frame.reset_index(drop=True)[cols]
    )
    assert np.allclose(back["score"], scores)
    assert not compare(feature_frame(raw), back.drop(columns="score")).drifted
