"""`model example-report --out DIR`: regenerate docs/example-report from two real revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console


def example_report(
    out: Annotated[Path, typer.Option(help="Folder to (re)write.")] = Path("docs/example-report"),
    repo: Annotated[Path, typer.Option(help="Repository to clone the revisions from.")] = Path(),
) -> None:
    """Clone REPO, run main and a worse `pr` branch, and write `model report` into OUT."""
    from model.review.example import regenerate

    report = regenerate(repo.resolve(), out.resolve())
    console.print(report["verdict"])
    console.print(f"wrote {out.resolve()}/report.md")


def register(app: typer.Typer) -> None:
    """Attach `model example-report`."""
    app.command("example-report")(example_report)
