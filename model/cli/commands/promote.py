"""`model promote ENV --image REF@DIGEST`: a promotion commit with trailers, pushed safely."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console
from model.cli.options import model_name_option

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
    model: Annotated[
        str | None, model_name_option("writes deploy/ENV/NAME.yaml, not k8s/overlays/ENV")
    ] = None,
    repo: Annotated[Path, typer.Option(help="Work tree to promote in.")] = HERE,
) -> None:
    """Pin an image and its model (k8s/overlays/ENV, or deploy/ENV/NAME.yaml) with trailers."""
    from model.fleet.promotion import target_for
    from model.gitops import DEFAULT_MODEL
    from model.gitops.follow import after_promotion
    from model.gitops.promote import Request
    from model.gitops.promote import promote as run
    from model.proc import toplevel

    req = Request(
        env=env,
        image_ref=image,
        push=push,
        source_pr=source_pr,
        promoted_by=promoted_by or None,
        model_version=model_version or None,
        direct=direct,
    )
    root = toplevel(repo)
    release, landed = run(root, req, target_for(root, model))
    if landed.commit is None or release is None:
        console.print(f"no-op: {env} already pins {image}")
        return
    where = (
        f"pushed to {landed.pushed_to} (attempt {landed.attempts})"
        if landed.pushed_to
        else "committed locally"
    )
    what = "model" if release.model == DEFAULT_MODEL else f"model {release.model}"
    console.print(
        f"promoted {env}: {release.image_ref} {what} {release.model_version} "
        f"commit {landed.commit[:12]}, {where}"
    )
    for line in after_promotion(env, release, landed, req.branch, open_pr):
        console.print(line)


def register(app: typer.Typer) -> None:
    """Attach `model promote`."""
    app.command("promote")(promote)
