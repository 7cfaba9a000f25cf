"""The PR comment, rebuilt in the trusted workflow_run job from the untrusted report artifact.

The artifact is written by PR code (a fork can edit pr.yaml), so its report.md is never read:
the markdown is rebuilt from report.json, whose strings are entity-escaped so they cannot form
links, images, HTML or new lines, and the PNGs are only named after checks (allow-listed name,
regular file, PNG magic, size cap). CML then posts with --no-publish: nothing is uploaded.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from model.config import UsageError
from model.review import render

MAX_JSON_BYTES = 1024 * 1024
MAX_PNG_BYTES = 2 * 1024 * 1024
MAX_PLOTS = 8
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLOT_NAME = re.compile(r"[a-z0-9_-]{1,64}\.png")
HEAD_SHA = re.compile(r"[0-9a-f]{40}")
RUN_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?/[\w.-]+/[\w.-]+/actions/runs/\d{1,20}")
# Enough to stop links, images, autolinks, HTML, code-span breakouts and table-cell splits;
# CommonMark never treats an entity as structure.
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "&#96;", "[": "&#91;", "]": "&#93;",
     "|": "&#124;", "\\": "&#92;", "\n": " ", "\r": " ", "\t": " "}
)  # fmt: skip


class CommentError(UsageError, ValueError):
    """The artifact or an input cannot be trusted; nothing is posted."""


def escape(value: Any) -> Any:
    """Every string in a JSON value entity-escaped (keys included); numbers untouched."""
    if isinstance(value, str):
        return value.translate(_ENTITIES)
    if isinstance(value, list):
        return [escape(v) for v in value]
    if isinstance(value, dict):
        return {escape(str(k)): escape(v) for k, v in value.items()}
    return value


def _read_regular(path: Path, cap: int) -> bytes:
    """Bytes of a regular file that is not a symlink and not over `cap` (no TOCTOU: O_NOFOLLOW)."""
    # O_NONBLOCK: a FIFO planted in the artifact must not block the open waiting for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > cap:
            raise OSError(f"{info.st_size} bytes, over the {cap}-byte cap")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(cap + 1)
    finally:
        os.close(fd)


def load_report(folder: Path) -> dict[str, Any]:
    """report.json of the artifact, checked: a regular file, capped, a JSON object."""
    if folder.is_symlink() or not folder.is_dir():
        raise CommentError(
            f"expected the artifact folder {folder} to be a directory, not a symlink"
        )
    try:
        report = json.loads(_read_regular(folder / "report.json", MAX_JSON_BYTES))
    except (OSError, ValueError) as exc:
        raise CommentError(f"report.json in {folder} is unusable: {exc}") from None
    if not isinstance(report, dict):
        raise CommentError(f"report.json must be a JSON object; found {type(report).__name__}")
    return report


def check_plots(folder: Path, names: Any) -> tuple[list[str], list[str]]:
    """(allowed plot names, one line per withheld plot); names are only echoed when allow-listed."""
    if not isinstance(names, list):
        raise CommentError("report.json: 'plots' must be a list of file names")
    allowed, withheld = [], []
    for i, name in enumerate(names[: MAX_PLOTS + 1], start=1):
        if i > MAX_PLOTS:
            withheld.append(f"plots after the first {MAX_PLOTS} withheld")
            break
        if not isinstance(name, str) or not PLOT_NAME.fullmatch(name):
            withheld.append(f"plot #{i} withheld: its name is not like `roc.png` ([a-z0-9_-].png)")
            continue
        try:
            head = _read_regular(folder / name, MAX_PNG_BYTES)[:8]
        except OSError as exc:
            withheld.append(f"`{name}` withheld: {escape(str(exc.strerror or exc))}")
            continue
        if head != PNG_MAGIC:
            withheld.append(f"`{name}` withheld: not a PNG file")
            continue
        allowed.append(name)
    return allowed, withheld


def plots_section(allowed: list[str], withheld: list[str], run_url: str,
                  artifact: str = "model-report") -> list[str]:  # fmt: skip
    """Plots are named and linked to the run's artifact, never embedded or uploaded."""
    names = ", ".join(f"`{n}`" for n in allowed) or "none"
    return [f"In the `{artifact}` artifact of [the PR run]({run_url}): {names}.", "",
            *(f"- {line}" for line in withheld)]  # fmt: skip


def markdown(report: dict[str, Any], plots: list[str]) -> str:
    """render.markdown's sections, with the Plots section replaced by `plots`."""
    safe = escape(report)
    base, head = safe["base"], safe["head"]
    lines = [f"**{safe['verdict']}**", "", f"base `{base['label']}` → head `{head['label']}`"]
    bodies = (render.metrics, render.segment_section, render.params, render.data, None,
              render.footprint, render.importance, render.reproducibility)  # fmt: skip
    for title, body in zip(render.SECTIONS, bodies, strict=True):
        lines += ["", f"#### {title}", "", *(plots if body is None else body(safe))]
    return "\n".join(lines) + "\n"


def check_inputs(run_url: str, head_sha: str) -> None:
    """The event payload's run URL and head sha, checked before anything is built or posted."""
    if not RUN_URL.fullmatch(run_url):
        raise CommentError(
            f"run URL must be https://HOST/OWNER/REPO/actions/runs/ID; found {run_url!r}"
        )
    if not HEAD_SHA.fullmatch(head_sha):
        raise CommentError(f"head sha must be 40 lowercase hex; found {head_sha!r}")


def build(folder: Path, out: Path, run_url: str, head_sha: str) -> Path:
    """Write out/report.md rebuilt from the artifact in `folder`; CommentError when untrusted."""
    check_inputs(run_url, head_sha)
    report = load_report(folder)
    allowed, withheld = check_plots(folder, report.get("plots"))
    try:
        text = markdown(report, plots_section(allowed, withheld, run_url))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise CommentError(
            f"report.json does not match the report schema ({type(exc).__name__}: {exc}); "
            "it must be what `model report` writes"
        ) from None
    out.mkdir(parents=True, exist_ok=True)
    target = out / "report.md"
    target.write_text(text)
    return target
