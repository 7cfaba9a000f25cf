"""`model verify-lock`: prove that dvc.lock's outputs are reproduced byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console


def verify_lock(
    rev: Annotated[str, typer.Option(help="Commit whose dvc.lock is checked.")] = "HEAD",
    out: Annotated[
        Path | None,
        typer.Option(help="Write the result as JSON (for `model report --lock-status`)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A fleet model: check fleet/NAME/dvc.lock in that folder's DVC project; "
            "default: the root model.",
        ),
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Re-run the pipeline from REV's committed inputs; exit 1 naming differing stages."""
    from model.fleet.layout import project_folder
    from model.review.verify_lock import verify

    where = project_folder(model)
    result = verify(repo.resolve(), rev, where)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if result["reproducible"]:
        console.print(
            f"{result['lock']} at {result['rev'][:10]} reproduced byte for byte "
            f"(ignoring {', '.join(result['ignored'])})"
        )
        return
    console.print(
        f"[bold red]{result['lock']} not reproducible:[/] stages differ: "
        f"{', '.join(result['differing_stages'])}"
    )
    for d in result["differences"]:
        console.print(
            f"  {d['stage']}: {d['kind']} {d['path']} "
            f"committed {d['committed']} reproduced {d['reproduced']}"
        )
    console.print(
        f"Re-run `dvc repro` in {where} and commit {result['lock']} with the outputs it produced "
        "(and `dvc push`)."
    )
    raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model verify-lock` to the root app."""
    app.command("verify-lock")(verify_lock)
