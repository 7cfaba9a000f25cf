"""`model promote ENV --image REF@DIGEST`: a promotion commit with trailers, pushed safely."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_USAGE, fail
from model.gitops import out

if TYPE_CHECKING:
    from model.gitops.trailers import Release

HERE = Path()  # default work tree: the current directory


def promote(
    env: str = typer.Argument(..., help="staging or prod."),
    image: str = typer.Option(
        ...,
        help="REF@sha256:<digest> to run (registry digest on GitHub; "
        "locally the image ID of credit-scoring:local).",
    ),
    push: bool = typer.Option(False, help="Push: fetch, rebase, retry with jittered backoff."),
    source_pr: str = typer.Option("none", help="PR number that brought the model in."),
    promoted_by: str = typer.Option("", help="Who approves (default: GitHub actor or git user)."),
    model_version: str = typer.Option(
        "", help="Override the model version (default: image label or sha prefix)."
    ),
    direct: bool = typer.Option(
        False, help="prod only: push to main instead of a promotion branch."
    ),
    open_pr: bool = typer.Option(
        False, help="prod: open the PR through the GitHub API after pushing."
    ),
    repo: Annotated[Path, typer.Option(help="Work tree to promote in.")] = HERE,
) -> None:
    """Pin an image and its model in k8s/overlays/ENV and commit it with structured trailers."""
    from rich.markup import escape

    from model.gitops.land import AttemptsError, LandError
    from model.gitops.overlay import OverlayError
    from model.gitops.promote import PromoteError, Request
    from model.gitops.promote import promote as run
    from model.proc import GitError, toplevel
    from model.tracking import registry

    req = Request(
        env=env,
        image_ref=image,
        push=push,
        source_pr=source_pr,
        promoted_by=promoted_by or None,
        model_version=model_version or None,
        direct=direct,
    )
    try:
        release, landed = run(toplevel(repo), req)
    except (PromoteError, OverlayError, AttemptsError) as exc:
        fail(escape(str(exc)), EXIT_USAGE)  # values in the message may hold [markup]
    except (LandError, GitError) as exc:
        fail(escape(str(exc)), EXIT_FAILED)
    if landed.commit is None:
        out.print(f"no-op: {env} already pins {image}")
        return
    where = (
        f"pushed to {landed.pushed_to} (attempt {landed.attempts})"
        if landed.pushed_to
        else "committed locally"
    )
    out.print(
        f"promoted {env}: {release.image_ref} model {release.model_version} "
        f"commit {landed.commit[:12]}, {where}"
    )
    if landed.pushed_to and landed.pushed_to.split("/", 1)[1].startswith("promote/"):
        out.print(
            "prod goes through review: merge the promotion branch; the alias follows on merge"
        )
        if open_pr:
            _open_pr(landed.pushed_to.split("/", 1)[1], req.branch, release)
        return
    tags = {f"{env}_commit": landed.commit, f"{env}_digest": release.image_digest}
    try:
        out.print(registry.sync_alias(env, release.model_sha256, tags))
    except registry.RegistryError as exc:
        fail(f"promoted, but the MLflow {env} alias was not updated: {exc}", EXIT_FAILED)


def _open_pr(branch: str, base: str, release: Release | None) -> None:
    """Open the promotion PR, or update the one a previous run opened; fail in one line."""
    from model.gitops.github import GitHubError, open_pull_request

    version = release.model_version if release else branch.removeprefix("promote/prod-")
    image = release.image_ref if release else branch
    try:
        pr = open_pull_request(
            branch,
            base,
            f"Promote {version} to prod",
            f"Promotes `{image}` (from staging) to prod.",
        )
    except GitHubError as exc:
        fail(f"{branch} is pushed but its pull request is not open: {exc}", EXIT_FAILED)
    out.print(f"{'opened' if pr.created else 'updated'} pull request {pr.url} ({branch} -> {base})")


def register(app: typer.Typer) -> None:
    """Attach `model promote`."""
    app.command("promote")(promote)
