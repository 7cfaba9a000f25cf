"""`model rollback ENV [--to COMMIT|MODEL_VERSION]`: re-pin an earlier promotion."""

from __future__ import annotations

from pathlib import Path

from model.gitops import DEFAULT_BRANCH, DEFAULT_MODEL, DEFAULT_REMOTE, overlay
from model.gitops.audit import Entry, ledger
from model.gitops.land import Landed, land
from model.gitops.lock import held
from model.gitops.promote import (
    OVERLAY,
    PromoteError,
    Target,
    check_clean,
    check_inputs,
    commit_release,
    promoter,
)
from model.gitops.trailers import Release


def choose(entries: list[Entry], to: str | None) -> tuple[Entry, Entry]:
    """(current, target): target is `to` (commit prefix or model version) or the previous digest."""
    if not entries:
        raise PromoteError("nothing to roll back: this environment has no promotion in Git history")
    now = entries[-1]
    if to:
        matches = [e for e in entries if e.commit.startswith(to) or e.release.model_version == to]
        if not matches:
            raise PromoteError(
                f"{to!r} matches no promotion commit or model version in this environment"
            )
        return now, matches[-1]
    for entry in reversed(entries[:-1]):
        if entry.release.image_digest != now.release.image_digest:
            return now, entry
    raise PromoteError("no earlier digest to roll back to: only one image was ever promoted here")


def rollback(
    root: Path,
    env: str,
    *,
    to: str | None = None,
    push: bool = False,
    promoted_by: str | None = None,
    remote: str = DEFAULT_REMOTE,
    branch: str = DEFAULT_BRANCH,
    target: Target = OVERLAY,
) -> tuple[Release | None, Landed]:
    """Commit the target promotion's pins again, with the same trailers plus Rollback-Of.

    `target` is the model's pins (the overlay, or a fleet model's release file): only that
    model's promotions in `env` are candidates.
    """
    overlay.check_env(env)
    check_inputs(promoted_by=promoted_by)
    with held(root):  # one promoter per work tree at a time
        return _rollback(root, env, to, push, promoted_by, remote, branch, target)


def _rollback(
    root: Path,
    env: str,
    to: str | None,
    push: bool,
    promoted_by: str | None,
    remote: str,
    branch: str,
    pins: Target,
) -> tuple[Release | None, Landed]:
    check_clean(root)
    built: list[Release] = []
    what = "model" if pins.model == DEFAULT_MODEL else f"model {pins.model}"

    def apply() -> str | None:
        now, target = choose(ledger(root, env, model=pins.model), to)
        release = target.release.with_(
            rollback_of=now.commit, promoted_by=promoter(root, promoted_by), environment=env
        )
        built.append(release)
        subject = f"rollback {env}: {what} {release.model_version} in {release.image_digest[:19]}"
        body = (
            f"This reverts the promotion {now.commit[:12]} ({now.subject}) and pins again "
            f"what {target.commit[:12]} pinned."
        )
        return commit_release(root, release, subject, body, target=pins)

    # Rollback is the emergency path: it goes straight to the branch for every environment.
    landed = land(root, apply, push=push, remote=remote, branch=branch)
    return (built[-1] if built else None), landed
