"""`model comment`: rebuild the PR comment from the untrusted report artifact(s) (trusted job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console
from model.config import UsageError


def comment(
    out: Annotated[Path, typer.Option(help="Folder for the rebuilt report.md (nothing else).")],
    run_url: Annotated[str, typer.Option(help="https://HOST/OWNER/REPO/actions/runs/ID.")],
    head_sha: Annotated[str, typer.Option(help="The PR head commit (40 hex) to comment on.")],
    artifact: Annotated[
        Path | None, typer.Option(help="One downloaded model-report artifact folder.")
    ] = None,
    artifacts: Annotated[
        Path | None,
        typer.Option(
            help="A folder of downloaded model-report* artifact folders: one fleet comment "
            "(summary table + one collapsible report per model)."
        ),
    ] = None,
) -> None:
    """Rebuild report.md from report.json and checked PNG names; exit 2 if the input is bad."""
    if artifacts is not None and artifact is None:
        from model.review.fleet_comment import build as build_fleet

        console.print(str(build_fleet(artifacts, out, run_url, head_sha)))
    elif artifact is not None and artifacts is None:
        from model.review.comment import build

        console.print(str(build(artifact, out, run_url, head_sha)))
    else:
        raise UsageError("pass exactly one of --artifact DIR or --artifacts DIR")


def register(app: typer.Typer) -> None:
    """Attach `model comment`."""
    app.command("comment")(comment)
