"""One fleet comment from every model-report* artifact: table, verdicts, hostile input.

Each artifact is written by untrusted PR code. The example report (a real `model report`
output) stands in for a model's artifact; edits make it a new model, a passing model or a
hostile one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.review.comment import CommentError
from model.review.fleet_comment import MAX_BODY, Entry, build, compose, headline, model_name

pytestmark = pytest.mark.unit
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-report"
RUN_URL = "https://github.com/acme/credit-scoring/actions/runs/42"
SHA = "a" * 40


def _artifact(root: Path, name: str, **changes: object) -> Path:
    folder = root / name
    shutil.copytree(EXAMPLE, folder)
    report = json.loads((folder / "report.json").read_text())
    report.update(changes)
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def _new_model(root: Path, name: str) -> Path:
    return _artifact(
        root, name, baseline=False, new_model=True, metrics=[], segments=[], passed=True,
        head_metrics={"roc_auc": 0.839, "pr_auc": 0.625},
        verdict="🆕 New model: no base to compare with; absolute checks passed (latency)",
        head_segments=[{"segment": "internet", "value": "DSL", "n": 502,
                        "roc_auc": 0.81, "approval_rate": 0.91}],
        contract={"target": "churn", "classes": ["No", "Yes"], "id_column": "rownames",
                  "min_rows": 1000, "features": [{"name": "tenure", "kind": "int",
                                                  "allowed": "[0, 80]", "max_null_rate": 0.0}]},
    )  # fmt: skip


def _comment(root: Path, tmp_path: Path) -> str:
    return build(root, tmp_path / "out", RUN_URL, SHA).read_text()


def _rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("| `")]


def test_one_changed_model_gives_a_table_of_that_model_and_its_full_report(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    _artifact(arts, "model-report-churn", passed=True, verdict="✅ Gate passed: no change")
    md = _comment(arts, tmp_path)
    assert md.startswith("**✅ Gate passed for all 1 model(s)**")
    (row,) = _rows(md)
    # The example's roc_auc row: Δ -0.0143, CI [-0.0289, -0.0007], significant (bold).
    assert row == (
        "| `churn` | ✅ passed | **-0.0143 [-0.0289, -0.0007]** | -0.0242 [-0.0595, 0.0087] |"
    )
    assert md.count("<details>") == 1 and "<summary><code>churn</code>: ✅ passed</summary>" in md
    assert "#### Metrics" in md and "#### Reproducibility" in md  # the whole report is inside
    assert "In the `model-report-churn` artifact of [the PR run](" in md


def test_a_failing_gate_fails_the_whole_comment_and_names_the_model(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    _artifact(arts, "model-report")  # the example fails its gate
    _artifact(arts, "model-report-churn", passed=True, verdict="✅ Gate passed")
    md = _comment(arts, tmp_path)
    assert md.startswith("**❌ Gate failed for 1 of 2 model(s): credit-scoring**")
    rows = _rows(md)
    assert [r.split(" | ")[:2] for r in rows] == [["| `credit-scoring`", "❌ failed"],
                                                 ["| `churn`", "✅ passed"]]  # fmt: skip


def test_a_new_model_shows_head_values_contract_and_segments(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    _new_model(arts, "model-report-churn")
    md = _comment(arts, tmp_path)
    (row,) = _rows(md)
    assert row == "| `churn` | 🆕 new model, passed | 0.8390 (head) | 0.6250 (head) |"
    assert "A new model: nothing to compare with" in md
    assert "| internet=DSL | 502 | 0.8100 | 0.9100 |" in md
    # Brackets from the artifact are entity-escaped (they could otherwise start a link).
    assert "Contract: target `churn`" in md and "| tenure | int | &#91;0, 80&#93; | 0.0000 |" in md


def test_hostile_names_and_values_never_form_markup(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    evil = "<img src=x onerror=alert(1)> [x](https://evil) `code`|cell\n# head"
    _artifact(arts, "model-report-churn", verdict=evil, passed=True,
              head={"rev": "x", "label": evil})  # fmt: skip
    # A string where a number belongs: the report does not match the schema, and says so.
    _artifact(arts, "model-report-loan-default", passed=True,
              metrics=[{"metric": "roc_auc", "delta": "1e9<b>", "ci_low": None, "ci_high": 2,
                        "significant": "yes", "rule": evil, "passed": True}])  # fmt: skip
    # Folders whose names are not ours are never read, whatever they hold.
    _artifact(arts, "model-report-<script>", verdict=evil)
    _artifact(arts, "other", verdict=evil)
    md = _comment(arts, tmp_path)
    assert "<img" not in md and "<script" not in md and "](https://evil)" not in md
    assert "\n# head" not in md and "1e9<b>" not in md
    rows = _rows(md)
    unusable = ["| `loan-default`", "⚠️ no usable report"]
    assert [r.split(" | ")[:2] for r in rows] == [["| `churn`", "✅ passed"], unusable]
    assert "&lt;img src=x onerror=alert(1)&gt; &#91;x&#93;(https://evil)" in md


def test_an_unusable_artifact_is_a_row_saying_so_and_fails_the_comment(tmp_path: Path) -> None:
    arts = tmp_path / "arts"
    _artifact(arts, "model-report-churn", passed=True)
    broken = arts / "model-report-loan-default"
    broken.mkdir()
    (broken / "lock.json").write_text("{}")  # the job failed before writing report.json
    odd = _artifact(arts, "model-report-telco", passed="yes")  # not a bool: untrusted
    (odd / "report.md").write_text("<script>x</script>")
    md = _comment(arts, tmp_path)
    assert md.startswith("**❌ Gate failed for 2 of 3 model(s): loan-default, telco**")
    rows = {r.split(" | ")[0]: r for r in _rows(md)}
    assert "⚠️ no usable report" in rows["| `loan-default`"]
    assert "⚠️ no usable report" in rows["| `telco`"] and "<script" not in md


def test_no_artifact_at_all_says_so(tmp_path: Path) -> None:
    (tmp_path / "arts").mkdir()
    assert _comment(tmp_path / "arts", tmp_path).startswith("**⚠️ No model report was found")


def test_bad_event_inputs_stop_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(CommentError, match="head sha must be 40 lowercase hex"):
        build(tmp_path, tmp_path / "out", RUN_URL, "HEAD; rm -rf /")
    with pytest.raises(CommentError, match="run URL must be"):
        build(tmp_path, tmp_path / "out", "javascript:alert(1)", SHA)


def test_artifact_names_map_to_models_only_when_well_formed() -> None:
    assert model_name("model-report") == "credit-scoring"
    assert model_name("model-report-loan-default") == "loan-default"
    for bad in ("model-report-", "model-report-A", "model-report--x", "model-report-x/../y",
                "model-reportx", "model-report-" + "a" * 41, "x-model-report"):  # fmt: skip
        assert model_name(bad) is None, bad


def test_the_body_stays_under_githubs_limit_with_many_models(tmp_path: Path) -> None:
    report = json.loads((EXAMPLE / "report.json").read_text())
    body = "x" * 5000
    entries = [Entry(f"m{i}", f"model-report-m{i}", report, [body]) for i in range(30)]
    md = compose(entries)
    assert len(md) <= MAX_BODY + 200
    assert len(_rows(md)) == 30, "every model keeps its table row"
    assert "report(s) left out: GitHub caps a comment's length" in md


def test_headline_of_a_missing_metric_is_a_dash() -> None:
    assert headline({"baseline": True, "metrics": []}, "roc_auc") == "—"
    assert headline(None, "roc_auc") == "—"
