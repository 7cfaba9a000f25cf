"""`model fleet image NAME --runtime REF`: a fleet model's release image (runtime + its layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console


def image(
    name: Annotated[str, typer.Argument(help="A fleet model's name (fleet/NAME, trained).")],
    runtime: Annotated[
        str,
        typer.Option(help="The serving runtime, NAME[:TAG][@sha256:…] (`make image` builds it)."),
    ],
    version: Annotated[str, typer.Option(help="Image tag (default: the model pin's prefix).")] = "",
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Build fleet/NAME:VERSION FROM the runtime's digest plus one layer of NAME's artifacts."""
    from model.fleet.image import build

    built = build(repo.resolve(), name, runtime, version=version)
    # REF@DIGEST without the tag: what `model promote --image` takes (a tag can move).
    console.print(f"image={built.tag.rsplit(':', 1)[0]}@{built.image_id}", soft_wrap=True)
    console.print(f"tag={built.tag}", soft_wrap=True)
    console.print(
        f"model {built.model} sha256 {built.model_sha256[:12]}… on runtime {built.runtime[:19]}…",
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Attach `model fleet image` to the fleet group (its own module: it needs Docker)."""
    from model.cli.commands.fleet import fleet_app

    fleet_app.command("image")(image)
