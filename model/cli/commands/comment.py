"""`model comment`: rebuild the PR comment from the untrusted report artifact (trusted job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console


def comment(
    artifact: Annotated[Path, typer.Option(help="Downloaded model-report artifact folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the rebuilt report.md (nothing else).")],
    run_url: Annotated[str, typer.Option(help="https://HOST/OWNER/REPO/actions/runs/ID.")],
    head_sha: Annotated[str, typer.Option(help="The PR head commit (40 hex) to comment on.")],
) -> None:
    """Rebuild report.md from report.json and checked PNG names; exit 2 if the artifact is bad."""
    from model.review.comment import build

    console.print(str(build(artifact, out, run_url, head_sha)))


def register(app: typer.Typer) -> None:
    """Attach `model comment`."""
    app.command("comment")(comment)
