"""One sticky PR comment for the whole fleet, rebuilt from every model's report artifact.

pr.yaml uploads one artifact per reviewed model: `model-report` (the root model) and
`model-report-<name>` (a fleet model). PR code wrote them all, so each is hostile: only
folders whose names match ARTIFACT are read, each through comment.load_report/check_plots as
a single report is, and every string is entity-escaped before it reaches the markdown. The
comment is a summary table (model, gate verdict, headline deltas with CIs) and one collapsible
<details> section per model holding that model's full report. A report that cannot be trusted
becomes a row saying so; it never stops the others from being shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.review import comment, render

# model-report = the root model; model-report-<name> = a fleet model (a DNS-label-like name).
ARTIFACT = re.compile(r"model-report(?:-(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)*))?")
ROOT_NAME = "credit-scoring"  # how the root model's report is listed when it names no model
MAX_NAME = 40
MAX_MODELS = 100  # reports after these are counted, not shown
HEADLINE = ("roc_auc", "pr_auc")  # the metrics the summary table shows per model
# GitHub refuses a comment body over 65,536 characters; details past this are left out.
MAX_BODY = 60_000


@dataclass(frozen=True)
class Entry:
    """One model's report as the comment shows it: parsed and checked, or why not."""

    name: str
    artifact: str
    report: dict[str, Any] | None
    plots: list[str]
    problem: str | None = None


def model_name(artifact: str) -> str | None:
    """The model an artifact folder name stands for; None when the name is not one of ours."""
    match = ARTIFACT.fullmatch(artifact) if len(artifact) <= MAX_NAME + 13 else None
    if match is None:
        return None
    return match.group("name") or ROOT_NAME


def load_entry(folder: Path, run_url: str) -> Entry:
    """Read one artifact folder as comment.build does; a bad one becomes an Entry with a problem."""
    name = model_name(folder.name) or "?"
    try:
        report = comment.load_report(folder)
        allowed, withheld = comment.check_plots(folder, report.get("plots"))
        if not isinstance(report.get("passed"), bool):
            raise comment.CommentError("report.json: 'passed' must be true or false")
        body = comment.markdown(
            report, comment.plots_section(allowed, withheld, run_url, folder.name)
        )
    except comment.CommentError as exc:
        return Entry(name, folder.name, None, [], comment.escape(str(exc)))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        problem = f"report.json does not match the report schema ({type(exc).__name__})"
        return Entry(name, folder.name, None, [], problem)
    return Entry(name, folder.name, report, [body])


def _verdict(entry: Entry) -> str:
    if entry.report is None:
        return "⚠️ no usable report"
    if entry.report.get("new_model"):
        return "🆕 new model, passed" if entry.report["passed"] else "🆕 new model, ❌ failed"
    return "✅ passed" if entry.report["passed"] else "❌ failed"


def _number(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return render.fmt(float(value)) if ok else None


def headline(report: dict[str, Any] | None, metric: str) -> str:
    """`Δ [low, high]` for one metric (bold when significant); head's value for a new model."""
    if report is None:
        return "—"
    if not report.get("baseline"):
        head = report.get("head_metrics")
        value = _number(head.get(metric)) if isinstance(head, dict) else None
        return f"{value} (head)" if value else "—"
    for row in report.get("metrics") or []:
        if isinstance(row, dict) and row.get("metric") == metric:
            delta, low, high = (row.get(k) for k in ("delta", "ci_low", "ci_high"))
            if None in (_number(delta), _number(low), _number(high)):
                return "—"
            text = f"{float(delta):+.4f} [{_number(low)}, {_number(high)}]"
            return f"**{text}**" if row.get("significant") is True else text
    return "—"


def summary_table(entries: list[Entry], confidence: str = "95%") -> list[str]:
    """One row per model: name, verdict, headline deltas with their CIs."""
    header = ["model", "gate", *(f"{m} Δ [{confidence} CI]" for m in HEADLINE)]
    rows = [[f"`{e.name}`", _verdict(e), *(headline(e.report, m) for m in HEADLINE)]
            for e in entries]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def overall(entries: list[Entry]) -> str:
    """The comment's first line: the conjunction of every model's gate."""
    failed = [e.name for e in entries if e.report is None or not e.report["passed"]]
    if not entries:
        return "**⚠️ No model report was found: no model was reviewed, or every job failed early**"
    if failed:
        return (
            f"**❌ Gate failed for {len(failed)} of {len(entries)} model(s): {', '.join(failed)}**"
        )
    return f"**✅ Gate passed for all {len(entries)} model(s)**"


def details(entry: Entry) -> list[str]:
    """A collapsible section holding the model's full report (or why there is none)."""
    summary = f"<summary><code>{entry.name}</code>: {_verdict(entry)}</summary>"
    inner = entry.plots[0] if entry.report is not None else f"{entry.problem}\n"
    return ["<details>", summary, "", inner.rstrip("\n"), "", "</details>", ""]


def compose(entries: list[Entry], skipped: int = 0) -> str:
    """The whole comment: overall verdict, summary table, then one <details> per model."""
    lines = [overall(entries), "", *summary_table(entries), ""]
    if skipped:
        lines += [f"_{skipped} more report(s) not shown (over {MAX_MODELS} models)._", ""]
    omitted = 0
    for entry in entries:
        section = details(entry)
        if len("\n".join(lines + section)) > MAX_BODY:
            omitted += 1
            continue
        lines += section
    if omitted:
        lines.append(f"_{omitted} model report(s) left out: GitHub caps a comment's length; "
                     "each is in its artifact._")  # fmt: skip
    return "\n".join(lines).rstrip("\n") + "\n"


def collect(folder: Path, run_url: str) -> tuple[list[Entry], int]:
    """Every model-report* artifact under `folder` (names checked), root model first."""
    if folder.is_symlink() or not folder.is_dir():
        raise comment.CommentError(f"expected the artifacts folder {folder} to be a directory")
    found = sorted(
        (p for p in folder.iterdir() if model_name(p.name) is not None),
        key=lambda p: (p.name != "model-report", p.name),
    )
    entries = [load_entry(p, run_url) for p in found[:MAX_MODELS]]
    return entries, max(len(found) - MAX_MODELS, 0)


def build(folder: Path, out: Path, run_url: str, head_sha: str) -> Path:
    """Write out/report.md: the fleet comment from the artifacts under `folder`."""
    comment.check_inputs(run_url, head_sha)
    entries, skipped = collect(folder, run_url)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "report.md"
    target.write_text(compose(entries, skipped))
    return target
