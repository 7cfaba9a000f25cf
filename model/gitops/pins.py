"""Commit and land a pin the release writes outside an environment's overlay (the trainer image).

The writer is passed in (`model.training.render.pin_trainer`, which this layer may not import):
this module only commits what it wrote, signed with the release identity's key, and lands
it on main as promotions land (fetch, rebase, retry on a race, re-write on a conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from model.config import CheckFailed
from model.gitops import DEFAULT_BRANCH, DEFAULT_REMOTE, signing
from model.gitops.land import Landed, land
from model.gitops.lock import held
from model.proc import dirty_files, git, head

# The release pushes to main with staging's release key (release.yaml's `staging` environment).
SIGNING_ENV = "staging"
TRAINER_TRAILER = "Trainer-Image"


class PinCommitError(CheckFailed):
    """The pin could not be committed (signing refused, or the tree was not clean)."""


def message(what: str, image_ref: str, source: str) -> str:
    """Subject, body and trailers of a pin commit."""
    digest = image_ref.rsplit("@", 1)[-1]
    return (
        f"release: pin the {what} image {digest[:19]}…\n\n"
        f"Written by the release of {source[:12]}.\n\n"
        f"{TRAINER_TRAILER}: {image_ref}\nSource-Commit: {source}\n"
    )


def land_pin(
    root: Path,
    write: Callable[[], Path],
    image_ref: str,
    *,
    what: str = "trainer",
    push: bool = True,
    remote: str = DEFAULT_REMOTE,
    branch: str = DEFAULT_BRANCH,
) -> Landed:
    """Run `write` (it writes one file under `root`), commit that file, and land the commit."""
    if dirty_files(root):
        raise PinCommitError("the work tree has uncommitted changes; the pin commits alone")
    source = head(root)

    def apply() -> str | None:
        rel = str(write().resolve().relative_to(root.resolve()))
        if not git(root, "status", "--porcelain", "--", rel).strip():
            return None  # already pinned: nothing to commit
        git(root, "add", "--", rel)
        try:
            signing.commit(root, SIGNING_ENV, message(what, image_ref, source))
        except signing.SigningError as exc:
            raise PinCommitError(str(exc)) from exc
        return head(root)

    with held(root):  # one writer at a time in this work tree, as for promotions
        return land(root, apply, push=push, remote=remote, branch=branch)
