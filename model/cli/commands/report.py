"""`model report`: compare head with the merge-base; write report.md/json; exit with the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_OK, console


def report(
    base: Annotated[
        str | None,
        typer.Option(
            help="Base revision (default: merge-base of HEAD with origin/main, else main)."
        ),
    ] = None,
    head: Annotated[
        str, typer.Option(help="Head revision, or `workspace` for the work tree's outputs.")
    ] = "workspace",
    out: Annotated[
        Path, typer.Option(help="Directory for report.md, report.json and the PNGs.")
    ] = Path("report"),
    policy: Annotated[Path, typer.Option(help="Promotion-gate policy file.")] = Path(
        ".github/promotion-gate.yaml"
    ),
    lock_status: Annotated[
        Path | None,
        typer.Option(
            help="JSON written by `model verify-lock --out`; adds the reproducibility verdict."
        ),
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Compare head with its base; exit 0 gate passed, 1 gate failed, 2 bad input."""
    from model.review.run import run

    result = run(
        repo.resolve(), base=base, head=head, out=out, policy_path=policy, lock_status=lock_status
    )
    console.print(result["verdict"])
    console.print(f"report: {out / 'report.md'}")
    raise typer.Exit(EXIT_OK if result["passed"] else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model report` to the root app."""
    app.command("report")(report)
