"""report.md: the CML-ready markdown, sections in the order reviewers read them."""

from __future__ import annotations

import math
from typing import Any

SECTIONS = (
    "Metrics", "Segments", "Params", "Data", "Plots", "Model size and latency",
    "Permutation importance", "Reproducibility",
)  # fmt: skip


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: numbers rounded, missing values as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return lines


def _ci(row: dict[str, Any]) -> str:
    return f"[{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"


def metrics(report: dict[str, Any]) -> list[str]:
    """Section: metric | base | head | Δ | CI | significant? | gate rule."""
    if not report["baseline"]:
        head = report.get("head_metrics", {})
        what = "A new model: nothing" if report.get("new_model") else "No baseline"
        return [f"{what} to compare with; head's metrics:", "",
                *table(["metric", "head"], [[k, v] for k, v in sorted(head.items())])]  # fmt: skip
    level = f"{report['bootstrap']['confidence']:.0%}"
    rows = [
        [r["metric"], r["base"], r["head"], f"{r['delta']:+.4f}", _ci(r),
         "**yes**" if r["significant"] else "no", ("✅ " if r["passed"] else "❌ ") + r["rule"]]
        for r in report["metrics"]
    ]  # fmt: skip
    lines = table(
        ["metric", "base", "head", "Δ", f"{level} CI of Δ", "significant?", "gate rule"], rows
    )
    boot = report["bootstrap"]
    lines += ["", f"_{report['pairing']}; {boot['resamples']} resamples, seed {boot['seed']}._"]
    if (mc := report.get("mcnemar")) is not None:
        lines.append(
            f"_Accuracy, McNemar exact test: {mc['base_only_correct']} rows only base got right, "
            f"{mc['head_only_correct']} only head; p = {mc['p_value']:.4g}._"
        )
    return lines


def segment_section(report: dict[str, Any]) -> list[str]:
    """Section: AUC and approval rate per segment, with CIs (head only for a new model)."""
    if report.get("head_segments"):
        rows = [[f"{r['segment']}={r['value']}", r["n"], r["roc_auc"], r["approval_rate"]]
                for r in report["head_segments"]]  # fmt: skip
        return ["Head only (a new model has no base):", "",
                *table(["segment", "rows", "roc_auc", "approval_rate"], rows)]  # fmt: skip
    if not report["segments"]:
        return ["No segment comparison (no baseline, or every segment below the minimum size)."]
    rows = [
        [f"{r['segment']}={r['value']}", r["n"], r["metric"], r["base"], r["head"],
         f"{r['delta']:+.4f}",
         _ci(r), "**yes**" if r["significant"] else "no"]
        for r in report["segments"]
    ]  # fmt: skip
    return table(
        ["segment", "rows", "metric", "base", "head", "Δ", "CI of Δ", "significant?"], rows
    )


def params(report: dict[str, Any]) -> list[str]:
    """Section: changed params."""
    if not report["params"]:
        return ["No params changed."]
    return table(
        ["file", "param", "base", "head"],
        [[r["file"], r["param"], r["old"], r["new"]] for r in report["params"]],
    )


def data(report: dict[str, Any]) -> list[str]:
    """Section: DVC-tracked files changed (CSV row counts); a new model's contract."""
    if not report["data"]:
        lines = ["No DVC-tracked file changed."]
    else:
        rows = [[r["change"], f"`{r['path']}`", r["rows_base"], r["rows_head"]]
                for r in report["data"]]  # fmt: skip
        lines = table(["change", "path", "rows (base)", "rows (head)"], rows)
    return lines + contract(report.get("contract"))


def contract(summary: dict[str, Any] | None) -> list[str]:
    """A new model's data contract: target, classes, one row per feature."""
    if not summary:
        return []
    classes = " / ".join(f"`{c}`" for c in summary["classes"])
    lines = ["", f"Contract: target `{summary['target']}` ({classes}, the last is scored), "
             f"id `{summary['id_column']}`, at least {summary['min_rows']} rows.", ""]  # fmt: skip
    rows = [[f["name"], f["kind"], f["allowed"], f["max_null_rate"]] for f in summary["features"]]
    return lines + table(["feature", "kind", "allowed", "max null rate"], rows)


def plots(report: dict[str, Any]) -> list[str]:
    """Section: PNGs next to report.md (CML uploads them)."""
    return [" ".join(f"![{name.removesuffix('.png')}](./{name})" for name in report["plots"])]


def footprint(report: dict[str, Any]) -> list[str]:
    """Section: model size and latency, base vs head."""
    lines = table(
        ["", "base", "head"], [[r["item"], r["base"], r["head"]] for r in report["footprint"]]
    )
    how = report.get("latency")  # absent from reports written before the report timed models
    if how:
        lines += ["", (
            f"Latency (ms, model.onnx on ONNX Runtime with one thread, as served) measured by "
            f"this report: base and head in one "
            f"process, in alternating turns, on head's {how['rows']} test rows; median of "
            f"{how['single_row_repeats']} single-row and {how['batch_repeats']} whole-split calls."
        )]  # fmt: skip
    return lines


def importance(report: dict[str, Any]) -> list[str]:
    """Section: the permutation importances that moved most."""
    if not report["importance"]:
        return ["No importance comparison (a side lacks reports/importance.json)."]
    rows = [
        [r["feature"], r["base"], r["head"], f"{r['change']:+.4f}"] for r in report["importance"]
    ]
    return table(["feature", "base", "head", "change"], rows)


def reproducibility(report: dict[str, Any]) -> list[str]:
    """Section: the verify-lock verdict."""
    lock = report.get("reproducibility")
    if lock is None:
        return ["Not checked: run `model verify-lock --out FILE` and pass `--lock-status FILE`."]
    if lock["reproducible"]:
        return [f"✅ Re-running the pipeline reproduced every output in dvc.lock ({lock['rev']})."]
    lines = [f"❌ These stages' outputs differ from dvc.lock ({lock['rev']}):", ""]
    return lines + [
        f"- `{d['stage']}`: `{d['path']}` {d['committed']} → {d['reproduced']}"
        for d in lock["differences"]
    ]


def markdown(report: dict[str, Any]) -> str:
    """The whole report.md, verdict first."""
    base, head = report["base"], report["head"]
    lines = [f"**{report['verdict']}**", "", f"base `{base['label']}` → head `{head['label']}`"]
    bodies = (metrics, segment_section, params, data, plots, footprint, importance, reproducibility)
    for title, body in zip(SECTIONS, bodies, strict=True):
        lines += ["", f"#### {title}", "", *body(report)]
    return "\n".join(lines) + "\n"
