"""Orchestrate one report: load both sides, compare, gate, draw and write report.md/json."""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.core.metrics import QUALITY_METRICS
from model.review import gate, segments, sides, timing
from model.review.stats import Scored, bootstrap_deltas, mcnemar_exact

if TYPE_CHECKING:
    import pandas as pd

    from model.core.schema import Contract
    from model.review.policy import Policy

ID = "rownames"
TOP_IMPORTANCE = 5


def align(base: pd.DataFrame, head: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, bool, str]:
    """Sort both sides by row id; paired only if both scored exactly the same rows and labels."""
    b, h = base.sort_values(ID).reset_index(drop=True), head.sort_values(ID).reset_index(drop=True)
    same = len(b) == len(h) and bool((b[ID].to_numpy() == h[ID].to_numpy()).all())
    if same and bool((b["y_true"].to_numpy() == h["y_true"].to_numpy()).all()):
        return b, h, True, f"paired bootstrap over the same {len(b)} test rows"
    shared = len(set(b[ID]) & set(h[ID]))
    note = (
        f"base and head were scored on different test rows "
        f"({len(b)} vs {len(h)}, {shared} shared): "
        "intervals are unpaired (independent resamples) and McNemar's test is skipped"
    )
    return b, h, False, note


def _scored(frame: pd.DataFrame) -> Scored:
    return Scored(
        frame["y_true"].to_numpy(dtype=np.int8),
        frame["proba"].to_numpy(dtype=float),
        frame["y_pred"].to_numpy(dtype=np.int8),
    )


def metric_rows(b: pd.DataFrame, h: pd.DataFrame, paired: bool, policy: Policy,
                dvc_values: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """The metrics table: DVC's recorded base/head values, bootstrap CI of Δ, gate rule."""
    rules = {r.name: r for r in policy.metrics}
    names = [m for m in QUALITY_METRICS if m in rules] + [
        m for m in rules if m not in QUALITY_METRICS
    ]
    deltas = bootstrap_deltas(
        _scored(b), _scored(h), names, paired=paired,
        resamples=policy.resamples, seed=policy.seed, confidence=policy.confidence,
    )  # fmt: skip
    rows = []
    for name in names:
        row = {"metric": name, **deltas[name].to_dict()}
        recorded = dvc_values.get(name, {})
        if isinstance(recorded.get("old"), int | float) and isinstance(
            recorded.get("new"), int | float
        ):
            row.update(
                base=recorded["old"], head=recorded["new"], delta=recorded["new"] - recorded["old"]
            )
        check = gate.metric_check(rules[name], row)
        rows.append({**row, "rule": check.rule, "passed": check.passed, "detail": check.detail})
    return rows


def importance_changes(
    base: dict[str, Any] | None, head: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Features whose permutation importance changed most, largest |change| first."""
    if not base or not head:
        return []
    rows = [
        {"feature": f, "base": base[f]["mean"], "head": head[f]["mean"],
         "change": head[f]["mean"] - base[f]["mean"]}
        for f in sorted(set(base) & set(head))
    ]  # fmt: skip
    return sorted(rows, key=lambda r: -abs(r["change"]))[:TOP_IMPORTANCE]


def footprint(base: sides.Side, head: sides.Side) -> list[dict[str, Any]]:
    """Model file sizes and predict latency (as measured by `time_sides`), base vs head."""
    rows = []
    for name in sorted(set(base.model_bytes) | set(head.model_bytes)):
        rows.append(
            {
                "item": f"{name} bytes",
                "base": base.model_bytes.get(name),
                "head": head.model_bytes.get(name),
            }
        )
    for key in ("predict_single_row_ms", "predict_batch_ms"):
        rows.append(
            {
                "item": key,
                "base": (base.latency or {}).get(key),
                "head": (head.latency or {}).get(key),
            }
        )
    return rows


def time_sides(readers: tuple[sides.Reader, sides.Reader], base: sides.Side,
               head: sides.Side, contract: Contract | None = None) -> dict[str, Any]:  # fmt: skip
    """Time both sides' models here and now on head's test rows; return how it was done."""
    from model.core.features import feature_frame

    rows = (
        feature_frame(head.predictions, contract) if contract else feature_frame(head.predictions)
    )
    models = {"base": timing.load_model(readers[0], contract),
              "head": timing.load_model(readers[1], contract)}  # fmt: skip
    measured = timing.measure(models, rows)
    base.latency, head.latency = measured["base"], measured["head"]
    return timing.method(len(rows))


def _paired_sections(report: dict[str, Any], base: sides.Side, head: sides.Side, policy: Policy,
                     dvc_values: dict[str, Any], pool: Executor) -> Future | None:  # fmt: skip
    """Metrics and segments in place; McNemar's test goes to the worker (None if unpaired)."""
    b, h, paired, note = align(base.predictions, head.predictions)
    report.update(paired=paired, pairing=note)
    mcnemar = None
    if paired:
        arrays = (b["y_true"].to_numpy(), b["y_pred"].to_numpy(), h["y_pred"].to_numpy())
        mcnemar = pool.submit(mcnemar_exact, *arrays)
    report["metrics"] = metric_rows(b, h, paired, policy, dvc_values)
    report["segments"] = segments.compare(b, h, policy, paired)
    return mcnemar


def _skeleton(base: sides.Side, head: sides.Side, policy: Policy) -> dict[str, Any]:
    return {
        "base": {"rev": base.rev, "label": base.label},
        "head": {"rev": head.rev, "label": head.label},
        "baseline": base.has_baseline,
        "bootstrap": {"resamples": policy.resamples, "seed": policy.seed,
                      "confidence": policy.confidence},
        "metrics": [], "mcnemar": None, "segments": [], "paired": None, "pairing": None,
    }  # fmt: skip


def contract_summary(contract: Contract) -> dict[str, Any]:
    """A new model's contract as the report shows it: target, classes, one row per feature."""
    features = []
    for col in contract.features:
        if col.kind == "category":
            allowed = f"{len(col.categories)} categories"
        else:
            allowed = f"[{render_number(col.minimum)}, {render_number(col.maximum)}]"
        features.append({"name": col.name, "kind": col.kind, "allowed": allowed,
                         "max_null_rate": col.max_null_rate})  # fmt: skip
    return {
        "target": contract.target, "classes": list(contract.target_classes),
        "id_column": contract.id_column, "min_rows": contract.min_rows, "features": features,
    }  # fmt: skip


def render_number(value: float | None) -> str:
    """A contract bound: `any` when open, else the number as written."""
    return "any" if value is None else f"{value:g}"


def _new_model(report: dict[str, Any], head: sides.Side, policy: Policy,
               subject: sides.Subject) -> None:  # fmt: skip
    """A model with no folder at the base: its contract and head-only segments, no deltas."""
    from model.core.schema import CREDIT_CONTRACT

    report["new_model"] = True
    report["contract"] = contract_summary(subject.contract or CREDIT_CONTRACT)
    report["head_segments"] = segments.head_only(head.predictions, policy)


def build(root: Path, base_rev: str, head_rev: str, labels: tuple[str, str], policy: Policy,
          lock: dict[str, Any] | None, out: Path,
          subject: sides.Subject | None = None) -> dict[str, Any]:  # fmt: skip
    """Compute every section of the report and draw its plots into `out`."""
    from model.review import plots, worker

    subject = subject or sides.Subject()
    with worker.start() as pool:
        from dvc.repo import Repo

        readers = (sides.Reader(root, base_rev, subject.folder),
                   sides.Reader(root, head_rev, subject.folder))  # fmt: skip
        base, head = sides.load(readers[0], labels[0]), sides.load(readers[1], labels[1])
        if head.predictions is None or head.metrics is None:
            raise sides.MissingData(
                f"head ({labels[1]}) has no reports/metrics.json or reports/predictions.csv: "
                "run `dvc repro --pull` (or `make pipeline`) first"
            )
        drawn = [s.for_plots(role) for role, s in (("base", base), ("head", head)) if s.plots]
        classes = tuple(subject.contract.target_classes) if subject.contract else plots.CLASSES
        plot_files = pool.submit(plots.render, dict(drawn), out, classes)
        report = _skeleton(base, head, policy)
        report["model"] = subject.name
        if not readers[0].has_folder():
            _new_model(report, head, policy, subject)
        mcnemar = None
        with Repo(str(root / subject.folder)) as repo:
            if base.has_baseline:
                dvc_values = sides.metrics_diff(repo, base_rev, head_rev)
                mcnemar = _paired_sections(report, base, head, policy, dvc_values, pool)
            else:
                report["head_metrics"] = head.metrics
            report["params"] = sides.params_diff(repo, base_rev, head_rev)
            report["data"] = sides.data_diff(repo, readers)
        report["mcnemar"] = mcnemar.result() if mcnemar else None
        report["plots"] = plot_files.result()
    # After the worker is done: timings taken while it draws would carry its load.
    report["latency"] = time_sides(readers, base, head, subject.contract)
    report["footprint"] = footprint(base, head)
    report["importance"] = importance_changes(base.importance, head.importance)
    report["reproducibility"] = lock
    return decide(report, policy, head)


def decide(report: dict[str, Any], policy: Policy, head: sides.Side) -> dict[str, Any]:
    """Apply every gate rule and set the verdict."""
    checks = [
        gate.Check(r["metric"], r["rule"], r["passed"], r["detail"]) for r in report["metrics"]
    ]
    if not report.get("new_model"):  # a new model has no segment deltas: nothing to check
        checks += gate.segment_checks(policy, report["segments"])
    checks += gate.latency_checks(policy, head.latency)
    checks += gate.lock_check(report["reproducibility"], policy.require_reproducible)
    any_sig = any(r["significant"] for r in report["metrics"] + report["segments"])
    passed, line = gate.verdict(checks, baseline=report["baseline"], any_significant=any_sig,
                                new_model=bool(report.get("new_model")))  # fmt: skip
    report.update(passed=passed, verdict=line, checks=[c.to_dict() for c in checks])
    return report


def write_json(report: dict[str, Any], out: Path) -> Path:
    """report.json: the same facts as report.md, machine-readable."""
    path = out / "report.json"
    text = json.dumps(_finite(report), indent=2, sort_keys=True, allow_nan=False, default=float)
    path.write_text(text + "\n")
    return path


def _finite(value: Any) -> Any:
    """NaN (e.g. AUC of a one-class segment) becomes null: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value
