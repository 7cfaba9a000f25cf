"""Entry point behind `model report`: resolve inputs, build, write; map errors to usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.report import compare, render, revs
from model.report.policy import PolicyError, load


class ReportError(RuntimeError):
    """Bad input or missing data: the command exits 2."""


def _lock(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    if not path.is_file():
        raise ReportError(
            f"--lock-status {path} not found; write it with `model verify-lock --out {path}`"
        )
    return json.loads(path.read_text())


def run(
    root: Path, *, base: str | None, head: str, out: Path, policy_path: Path,
    lock_status: Path | None = None, labels: tuple[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write out/report.md and out/report.json; return the report."""
    from model.report.sides import MissingData

    try:
        policy = load(policy_path if policy_path.is_absolute() else root / policy_path)
        head_rev = revs.resolve(root, head)
        base_rev = revs.resolve(root, base) if base else revs.default_base(root, head)
        labels = labels or (revs.short(root, base_rev), revs.short(root, head_rev))
        out.mkdir(parents=True, exist_ok=True)
        report = compare.build(root, base_rev, head_rev, labels, policy, _lock(lock_status), out)
    except (PolicyError, revs.RevError, MissingData) as err:
        raise ReportError(str(err)) from err
    (out / "report.md").write_text(render.markdown(report))
    compare.write_json(report, out)
    return report
