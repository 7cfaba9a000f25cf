"""Entry point behind `model report`: resolve inputs, build, write; map errors to usage errors."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.config import UsageError
from model.review import compare, render, revs
from model.review.policy import PolicyError, load

if TYPE_CHECKING:
    from model.review.sides import Subject


class ReportError(UsageError):
    """Bad input or missing data: the command exits 2."""


# The keys and types the report reads from `model verify-lock --out` (see verify_lock.verify).
_LOCK_FIELDS: dict[str, type] = {"rev": str, "reproducible": bool, "differences": list}


def shown(path: Path) -> str:
    """`path` for a one-line message: control characters escaped, so no line can be forged."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def _lock(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    name = shown(path)
    fix = f"expected the JSON object `model verify-lock --out {name}` writes; rerun it"
    if not path.is_file():
        raise ReportError(f"--lock-status {name} not found; {fix}")
    try:
        lock = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ReportError(f"--lock-status {name} is not UTF-8 (byte {err.start}); {fix}") from err
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise ReportError(f"--lock-status {name} is not JSON ({err.msg}, {where}); {fix}") from err
    except OSError as err:
        raise ReportError(f"--lock-status {name} cannot be read ({err.strerror}); {fix}") from err
    if not isinstance(lock, dict):
        raise ReportError(f"--lock-status {name} holds a {type(lock).__name__}; {fix}")
    for key, kind in _LOCK_FIELDS.items():
        if not isinstance(lock.get(key), kind):
            found = type(lock[key]).__name__ if key in lock else "nothing"
            raise ReportError(
                f"--lock-status {name}: expected {key!r} to be a {kind.__name__}, found {found}; "
                f"{fix}"
            )
    return lock


def _writable_dir(out: Path) -> None:
    """Refuse an --out that is a file or cannot be written, before any work is done."""
    name = shown(out)
    if out.exists() and not out.is_dir():
        raise ReportError(
            f"--out {name} is an existing file; expected a directory for report.md, "
            "report.json and the PNGs: pass a new or existing directory"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise ReportError(
            f"--out {name} cannot be written ({err.strerror}); expected a writable "
            "directory: pass another --out"
        ) from err


def run(
    root: Path, *, base: str | None, head: str, out: Path, policy_path: Path,
    lock_status: Path | None = None, labels: tuple[str, str] | None = None,
    subject: Subject | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write out/report.md and out/report.json; return the report (of `subject`'s folder)."""
    from model.review.sides import MissingData

    # Usage errors first: a bad --out or --lock-status must not cost a comparison.
    lock = _lock(lock_status)
    _writable_dir(out)
    try:
        policy = load(policy_path if policy_path.is_absolute() else root / policy_path)
        head_rev = revs.resolve(root, head)
        base_rev = revs.resolve(root, base) if base else revs.default_base(root, head)
        labels = labels or (revs.short(root, base_rev), revs.short(root, head_rev))
        report = compare.build(root, base_rev, head_rev, labels, policy, lock, out, subject)
    except (PolicyError, revs.RevError, MissingData) as err:
        raise ReportError(str(err)) from err
    try:
        (out / "report.md").write_text(render.markdown(report))
        compare.write_json(report, out)
    except OSError as err:
        raise ReportError(
            f"--out {shown(out)}: writing the report failed ({err.strerror})"
        ) from err
    return report
