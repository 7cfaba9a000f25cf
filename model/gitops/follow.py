"""What follows a landed promotion or rollback: the prod PR, or the MLflow alias sync.

Commands print the lines these return; the decision (review branch or shared branch) is read
from the outcome's `review_branch` field, never parsed from a `remote/branch` string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.config import CheckFailed

if TYPE_CHECKING:
    from model.gitops.land import Landed
    from model.gitops.trailers import Release


class FollowError(CheckFailed):
    """The commit landed, but what should follow it (PR, alias) did not happen."""


def open_review(branch: str, base: str, release: Release | None) -> str:
    """Open the promotion PR, or update the one a previous run opened; return what happened."""
    from model.gitops.github import GitHubError, open_pull_request

    version = release.model_version if release else branch.removeprefix("promote/prod-")
    image = release.image_ref if release else branch
    title, body = f"Promote {version} to prod", f"Promotes `{image}` (from staging) to prod."
    try:
        pr = open_pull_request(branch, base, title, body)
    except GitHubError as exc:
        raise FollowError(f"{branch} is pushed but its pull request is not open: {exc}") from exc
    return f"{'opened' if pr.created else 'updated'} pull request {pr.url} ({branch} -> {base})"


def sync_alias(verb: str, env: str, release: Release, tags: dict[str, str]) -> str:
    """Point the `env` alias of the release's registered model (the root's or a fleet model's,
    named as the model) at its version; FollowError names what landed."""
    from model.tracking import registry

    try:
        return registry.sync_alias(env, release.model_sha256, tags, release.model)
    except registry.RegistryError as exc:
        raise FollowError(f"{verb}, but the MLflow {env} alias was not updated: {exc}") from exc


def after_promotion(
    env: str, release: Release, landed: Landed, base: str, open_pr: bool
) -> list[str]:
    """A review branch gets its PR (when asked); a landed commit moves the registry alias."""
    if landed.review_branch:
        lines = ["prod goes through review: merge the promotion branch; the alias follows on merge"]
        if open_pr:
            lines.append(open_review(landed.review_branch, base, release))
        return lines
    assert landed.commit is not None  # a no-op landing has nothing to follow
    tags = {f"{env}_commit": landed.commit, f"{env}_digest": release.image_digest}
    return [sync_alias("promoted", env, release, tags)]
