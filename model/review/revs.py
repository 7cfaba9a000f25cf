"""Which revisions a report compares: the merge-base of HEAD with main, or what the user named."""

from __future__ import annotations

from pathlib import Path

from model.config import UsageError
from model.proc import run

WORKSPACE = "workspace"
DEFAULT_BASES = ("origin/main", "main")


class RevError(UsageError, ValueError):
    """A revision could not be resolved (a usage error)."""


def _git(root: Path, *args: str) -> str | None:
    proc = run(["git", *args], root, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def resolve(root: Path, rev: str) -> str:
    """The full commit sha of `rev`, or `workspace` unchanged."""
    if rev == WORKSPACE:
        return rev
    sha = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if not sha:
        raise RevError(
            f"git cannot resolve revision {rev!r} in {root}. "
            "Pass an existing branch, tag or sha (CI needs `fetch-depth: 0` to see history)."
        )
    return sha


def default_base(root: Path, head: str = "HEAD") -> str:
    """The merge-base of `head` with origin/main, falling back to main."""
    head_ref = "HEAD" if head == WORKSPACE else head
    for candidate in DEFAULT_BASES:
        sha = _git(root, "merge-base", head_ref, candidate)
        if sha:
            return sha
    raise RevError(
        "no merge-base of HEAD with origin/main or main was found. "
        "Fetch main (`git fetch origin main`) or pass --base REV."
    )


def short(root: Path, rev: str) -> str:
    """A short, human label for a revision."""
    if rev == WORKSPACE:
        return rev
    return _git(root, "rev-parse", "--short=10", rev) or rev
