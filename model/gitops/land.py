"""Land a commit on a shared branch: fetch, rebase, retry with jittered backoff, never force."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from model import config
from model.config import CheckFailed, UsageError
from model.gitops import signing
from model.proc import GitError, attempt, current_branch, git, head, ok

DEFAULT_ATTEMPTS = 30
MAX_ATTEMPTS = 1000
# Full jitter, doubling from BASE up to CAP. With 0.05 s to 1 s, 50 racing promoters (a fleet's
# release day) retried so often that fetch+rebase+push starved the CPU: 46 of 50 landed in 103 s,
# 4 gave up after 30 attempts (benchmarks/fleet_promote.py). Wider windows spread them out, and
# every retry saved is a fetch and a push the git server does not serve.
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
# A retry loop is no place for housekeeping: `git maintenance run --auto` after every fetch and
# rebase is a process per attempt; the promoter's next ordinary git command still runs it.
_NO_HOUSEKEEPING = ("-c", "maintenance.auto=false", "-c", "gc.auto=0")
# What git prints when someone else moved the branch first: only these are worth a retry.
_RACE = ("(fetch first)", "(non-fast-forward)", "(failed to update ref)", "cannot lock ref",
         "(stale info)", "incorrect old value")  # fmt: skip
# A refusal that a retry cannot change: a hook, branch protection, credentials, a dead remote.
_FINAL = ("declined", "denied", "fatal:", "authentication", "permission", "protected branch")
_REASON_LINES = 12


class LandError(CheckFailed):
    """The commit could not be landed; nothing was overwritten."""


class AttemptsError(UsageError, ValueError):
    """MODEL_PUSH_ATTEMPTS is not a usable number; nothing was committed."""


@dataclass(frozen=True)
class Landed:
    """Outcome: the commit (None when the change was already there) and how many pushes it took."""

    commit: str | None
    attempts: int
    pushed_to: str | None
    # The branch pushed for review instead of the shared branch (prod's promote/…): the caller
    # opens a PR for it, and the registry alias follows on merge rather than now.
    review_branch: str | None = None


def push_attempts() -> int:
    """MODEL_PUSH_ATTEMPTS as a whole number from 1 to MAX_ATTEMPTS (default 30)."""
    raw = config.get(config.MODEL_PUSH_ATTEMPTS)
    if raw is None:
        return DEFAULT_ATTEMPTS
    if not re.fullmatch(r"[0-9]{1,4}", raw.strip()) or not 1 <= int(raw) <= MAX_ATTEMPTS:
        raise AttemptsError(
            f"{config.MODEL_PUSH_ATTEMPTS}={raw!r} is not a whole number from 1 to {MAX_ATTEMPTS}; "
            f"set e.g. {config.MODEL_PUSH_ATTEMPTS}=5, or unset it for {DEFAULT_ATTEMPTS}"
        )
    return int(raw)


def is_race(stderr: str) -> bool:
    """True when git's push output says only that the branch moved under us (retry it)."""
    lowered = stderr.lower()
    return any(m in lowered for m in _RACE) and not any(m in lowered for m in _FINAL)


def reason(stderr: str) -> str:
    """The remote's own words, one printable line each (a hook's output is not trusted)."""
    lines = [
        "".join(ch if ch.isprintable() else "?" for ch in line.strip())[:200]
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(("hint:", "To "))
    ]
    return "; ".join(lines[:_REASON_LINES]) or "no reason given"


def _sync(root: Path, remote: str, branch: str) -> None:
    """Fetch `branch` and replay local commits on top of it; never merge, never force."""
    git(root, "fetch", "-q", remote, branch)
    if not ok(root, "rebase", "-q", f"{remote}/{branch}"):
        git(root, "rebase", "--abort", check=False)
        raise LandError(
            f"local commits do not rebase cleanly on {remote}/{branch}; "
            "resolve that first (nothing was changed)"
        )


def _unpushed(root: Path, remote: str, branch: str) -> list[tuple[str, bool]]:
    """Commits on HEAD that `remote/branch` lacks, each with whether it is a promotion."""
    out = git(root, "log", "--format=%H%x00%(trailers:key=Environment,valueonly)%x1d",
              f"{remote}/{branch}..HEAD")  # fmt: skip
    rows = [r.strip("\n").split("\x00") for r in out.split("\x1d") if r.strip()]
    return [(r[0], len(r) > 1 and bool(r[1].strip())) for r in rows]


def _give_up(root: Path, remote: str, branch: str, ours: bool) -> str:
    """Leave no promotion stranded: back to the remote tip when only promotions are unpushed."""
    unpushed = _unpushed(root, remote, branch)
    if all(is_promotion for _, is_promotion in unpushed):
        git(root, "reset", "-q", "--hard", f"{remote}/{branch}")  # the tree was clean on entry
        return f"the local branch is back at {remote}/{branch}"
    if ours:
        git(root, "reset", "-q", "--hard", "HEAD~1")
    kept = len(unpushed) - int(ours)
    return f"the promotion commit was dropped; {kept} commit(s) of yours stay unpushed"


def _patch_id(root: Path, rev: str) -> str:
    diff = git(root, "diff", "--no-color", f"{rev}~1", rev)
    return git(root, "patch-id", "--stable", stdin=diff).split(" ", 1)[0]


def _same_change_at(root: Path, remote: str, ref: str) -> str | None:
    """The tip of remote/ref when it carries exactly HEAD's change (same patch-id), else None."""
    if not ok(root, "fetch", "-q", remote, f"refs/heads/{ref}"):
        return None
    theirs = git(root, "rev-parse", "FETCH_HEAD").strip()
    return theirs if _patch_id(root, theirs) == _patch_id(root, "HEAD") else None


def backoff(attempt_no: int) -> float:
    """Full-jitter exponential backoff, so racing promoters spread out."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt_no))


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

    A rejected push because someone else landed first: fetch, rebase, and when the rebase
    conflicts (both edited the same overlay line) drop our commit and re-run `apply` on the
    new tip, so the result is always a fast-forward of what others pushed. Any other refusal
    stops at once. On give-up no promotion commit is left behind unpushed.
    """
    if not push:
        return Landed(apply(), 0, None)
    attempts = push_attempts()  # before anything is committed
    here = current_branch(root)
    if here not in (branch, "HEAD") and target_ref is None:
        raise LandError(f"on branch {here!r}; switch to {branch!r} to promote onto it")
    _sync(root, remote, branch)
    commit = apply()
    if commit is None and target_ref is None:
        unpushed = _unpushed(root, remote, branch)
        if not unpushed:
            return Landed(None, 0, None)
        if not all(is_promotion for _, is_promotion in unpushed):
            raise LandError(
                f"{branch} is {len(unpushed)} commit(s) ahead of {remote}/{branch}, not all of "
                "them promotions; push or drop them yourself, then promote again"
            )
        # An earlier run committed this promotion but never pushed it: push it now.
    elif commit is None:
        return Landed(None, 0, None)
    try:
        return _push(root, apply, attempts, remote, branch, target_ref)
    except LandError as exc:
        if target_ref is not None:
            raise
        raise LandError(f"{exc}; {_give_up(root, remote, branch, commit is not None)}") from exc


def _push(
    root: Path,
    apply: Callable[[], str | None],
    attempts: int,
    remote: str,
    branch: str,
    target_ref: str | None,
) -> Landed:
    ref = target_ref or branch
    why = ""
    resign = signing.keep_signature(root)  # HEAD's signed-ness is ours; a rebase keeps it
    for attempt_no in range(1, attempts + 1):
        pushed, stderr = attempt(root, "push", "-q", remote, f"HEAD:refs/heads/{ref}")
        if pushed:
            return Landed(head(root), attempt_no, f"{remote}/{ref}", target_ref)
        why = reason(stderr)
        if target_ref is not None:
            # A rerun of the same promotion (tests/e2e/test_promote_open_pr.py): reuse, never force.
            theirs = _same_change_at(root, remote, ref)
            if theirs is not None:
                return Landed(theirs, attempt_no, f"{remote}/{ref}", target_ref)
            raise LandError(f"{remote} refused {ref} (an open promotion already?): {why}")
        if not is_race(stderr):
            raise LandError(
                f"{remote} refused the push to {ref} and a retry cannot change that: {why}. "
                "Fix the cause (hook, branch protection, credentials), then promote again"
            )
        time.sleep(backoff(attempt_no))
        git(root, *_NO_HOUSEKEEPING, "fetch", "-q", remote, branch)
        if ok(root, *_NO_HOUSEKEEPING, "rebase", "-q", *resign, f"{remote}/{branch}"):
            continue
        git(root, "rebase", "--abort", check=False)
        git(root, "reset", "-q", "--hard", "HEAD~1")  # only our own commit; the tree was clean
        try:
            _sync(root, remote, branch)
        except GitError as exc:
            raise LandError(str(exc)) from exc
        if apply() is None:
            return Landed(None, attempt_no, None)
        resign = signing.keep_signature(root)  # a new commit, signed or not as its env says
    raise LandError(f"gave up after {attempts} push attempts to {remote}/{ref} ({why})")
