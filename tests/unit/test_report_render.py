"""report.md layout: verdict first, then the sections in the issue's order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.review.compare import write_json
from model.review.render import SECTIONS, markdown

pytestmark = pytest.mark.unit


def report(**over: object) -> dict:
    base = {
        "verdict": "❌ Gate failed (roc_auc): roc_auc worse by 0.0485 (> 0.0100), significant",
        "passed": False,
        "baseline": True,
        "paired": True,
        "pairing": "paired bootstrap over the same 890 test rows",
        "base": {"rev": "a" * 40, "label": "main"},
        "head": {"rev": "b" * 40, "label": "pr"},
        "bootstrap": {"resamples": 2000, "seed": 1, "confidence": 0.95},
        "metrics": [
            {
                "metric": "roc_auc",
                "base": 0.83,
                "head": 0.78,
                "delta": -0.05,
                "ci_low": -0.07,
                "ci_high": -0.03,
                "significant": True,
                "passed": False,
                "rule": "higher is better",
            }
        ],
        "mcnemar": {"base_only_correct": 117, "head_only_correct": 65, "p_value": 0.00014},
        "segments": [
            {
                "segment": "age",
                "value": "18-29",
                "n": 263,
                "metric": "roc_auc",
                "base": 0.77,
                "head": 0.64,
                "delta": -0.13,
                "ci_low": -0.19,
                "ci_high": -0.07,
                "significant": True,
            }
        ],
        "params": [{"file": "params.yaml", "param": "train.n_estimators", "old": 200, "new": 5}],
        "data": [
            {
                "change": "modified",
                "path": "reports/predictions.csv",
                "rows_base": 890,
                "rows_head": 890,
            }
        ],
        "plots": ["roc.png", "pr.png", "calibration.png", "confusion.png"],
        "footprint": [{"item": "model.onnx bytes", "base": 110056, "head": 4802}],
        "importance": [{"feature": "Amount", "base": 0.077, "head": 0.0005, "change": -0.0765}],
        "reproducibility": {
            "reproducible": False,
            "rev": "c" * 40,
            "differing_stages": ["train"],
            "differences": [
                {"stage": "train", "path": "models/model.onnx", "committed": "x", "reproduced": "y"}
            ],
        },
    }
    return {**base, **over}


def test_verdict_is_the_first_line() -> None:
    assert markdown(report()).splitlines()[0] == f"**{report()['verdict']}**"


def test_sections_appear_in_the_issue_order() -> None:
    text = markdown(report())
    positions = [text.index(f"#### {title}") for title in SECTIONS]
    assert positions == sorted(positions)
    assert list(SECTIONS) == [
        "Metrics", "Segments", "Params", "Data", "Plots", "Model size and latency",
        "Permutation importance", "Reproducibility",
    ]  # fmt: skip


def test_metrics_table_columns_and_values() -> None:
    text = markdown(report())
    assert "| metric | base | head | Δ | 95% CI of Δ | significant? | gate rule |" in text
    assert (
        "| roc_auc | 0.8300 | 0.7800 | -0.0500 | [-0.0700, -0.0300] | **yes** "
        "| ❌ higher is better |" in text
    )
    assert "McNemar exact test: 117 rows only base got right, 65 only head; p = 0.00014" in text


def test_plots_are_relative_images_for_cml() -> None:
    assert "![roc](./roc.png)" in markdown(report())


def test_reproducibility_lists_differing_stages() -> None:
    assert "- `train`: `models/model.onnx` x → y" in markdown(report())
    assert "Not checked" in markdown(report(reproducibility=None))


def test_no_baseline_shows_head_metrics_only() -> None:
    text = markdown(report(baseline=False, metrics=[], segments=[], head_metrics={"roc_auc": 0.83},
                           verdict="⚪ No baseline"))  # fmt: skip
    assert text.startswith("**⚪ No baseline**")
    assert "No baseline to compare with" in text and "| roc_auc | 0.8300 |" in text


def test_missing_values_render_as_dash() -> None:
    text = markdown(
        report(
            data=[{"change": "added", "path": "data/new.csv", "rows_base": None, "rows_head": 10}]
        )
    )
    assert "| added | `data/new.csv` | — | 10 |" in text


def test_report_json_turns_nan_into_null(tmp_path: Path) -> None:
    path = write_json(
        {"segments": [{"metric": "roc_auc", "base": float("nan"), "head": 0.7}]}, tmp_path
    )
    assert json.loads(path.read_text()) == {
        "segments": [{"metric": "roc_auc", "base": None, "head": 0.7}]
    }
