"""Land a commit on a shared branch: fetch, rebase, retry with jittered backoff, never force."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from model import env
from model.gitops import signing
from model.gitops.git import GitError, current_branch, git, head, ok

DEFAULT_ATTEMPTS = 30
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 1.0


class LandError(RuntimeError):
    """The commit could not be landed; nothing was overwritten."""


@dataclass(frozen=True)
class Landed:
    """Outcome: the commit (None when the change was already there) and how many pushes it took."""

    commit: str | None
    attempts: int
    pushed_to: str | None


def _sync(root: Path, remote: str, branch: str) -> None:
    """Fetch `branch` and replay local commits on top of it; never merge, never force."""
    git(root, "fetch", "-q", remote, branch)
    if not ok(root, "rebase", "-q", f"{remote}/{branch}"):
        git(root, "rebase", "--abort", check=False)
        raise LandError(
            f"local commits do not rebase cleanly on {remote}/{branch}; "
            "resolve that first (nothing was changed)"
        )


def _patch_id(root: Path, rev: str) -> str:
    diff = git(root, "diff", "--no-color", f"{rev}~1", rev)
    return git(root, "patch-id", "--stable", stdin=diff).split(" ", 1)[0]


def _same_change_at(root: Path, remote: str, ref: str) -> str | None:
    """The tip of remote/ref when it carries exactly HEAD's change (same patch-id), else None."""
    if not ok(root, "fetch", "-q", remote, f"refs/heads/{ref}"):
        return None
    theirs = git(root, "rev-parse", "FETCH_HEAD").strip()
    return theirs if _patch_id(root, theirs) == _patch_id(root, "HEAD") else None


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff, so racing promoters spread out."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def land(
    root: Path,
    apply: Callable[[], str | None],
    *,
    push: bool,
    remote: str,
    branch: str,
    target_ref: str | None = None,
) -> Landed:
    """Run `apply` (edit + commit, or None for no-op) on top of `remote/branch` and push it.

    A rejected push means someone else landed first: fetch, rebase, and when the rebase
    conflicts (both edited the same overlay line) drop our commit and re-run `apply` on the
    new tip, so the result is always a fast-forward of what others pushed.
    """
    if push:
        here = current_branch(root)
        if here not in (branch, "HEAD") and target_ref is None:
            raise LandError(f"on branch {here!r}; switch to {branch!r} to promote onto it")
        _sync(root, remote, branch)
    commit = apply()
    if commit is None or not push:
        return Landed(commit, 0, None)
    ref = target_ref or branch
    attempts = int(env.get(env.MODEL_PUSH_ATTEMPTS, str(DEFAULT_ATTEMPTS)) or DEFAULT_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        if ok(root, "push", "-q", remote, f"HEAD:refs/heads/{ref}"):
            return Landed(head(root), attempt, f"{remote}/{ref}")
        if target_ref is not None:
            theirs = _same_change_at(root, remote, ref)
            if theirs is not None:  # a rerun of this promotion: reuse, never force
                return Landed(theirs, attempt, f"{remote}/{ref}")
            raise LandError(
                f"{remote} refused {ref}: it already exists with a different change; "
                f"merge or delete that promotion branch, then promote again"
            )
        time.sleep(backoff(attempt))
        git(root, "fetch", "-q", remote, branch)
        if ok(root, "rebase", "-q", *signing.keep_signature(root), f"{remote}/{branch}"):
            continue
        git(root, "rebase", "--abort", check=False)
        git(root, "reset", "-q", "--hard", "HEAD~1")  # only our own commit; the tree was clean
        try:
            _sync(root, remote, branch)
        except GitError as exc:
            raise LandError(str(exc)) from exc
        commit = apply()
        if commit is None:
            return Landed(None, attempt, None)
    raise LandError(f"gave up after {attempts} push attempts to {remote}/{ref}; nothing was forced")
