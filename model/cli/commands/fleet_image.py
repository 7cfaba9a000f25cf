"""`model fleet image NAME --runtime REF`: a fleet model's release image (runtime + its layer).

With `--context DIR` it builds nothing: it writes the build context (the four files the
model layer copies) and prints what a builder needs (release.yaml's `fleet` job hands them to
docker/build-push-action), so local builds and CI share one list of build args.
"""

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
    context: Annotated[
        Path | None,
        typer.Option(help="Only write the build context here (no Docker); runtime by digest."),
    ] = None,
    registry: Annotated[
        str, typer.Option(help="With --context: prefix of the image name, e.g. ghcr.io/OWNER.")
    ] = "",
    github_output: Annotated[
        Path | None,
        typer.Option(help="With --context: also append context, tags, build_args there."),
    ] = None,
) -> None:
    """Build fleet/NAME:VERSION FROM the runtime's digest plus one layer of NAME's artifacts."""
    if context is not None:
        _context(name, runtime, version, repo.resolve(), context, registry, github_output)
        return
    from model.fleet.image import build

    built = build(repo.resolve(), name, runtime, version=version)
    # REF@DIGEST without the tag: what `model promote --image` takes (a tag can move).
    console.print(f"image={built.tag.rsplit(':', 1)[0]}@{built.image_id}", soft_wrap=True)
    console.print(f"tag={built.tag}", soft_wrap=True)
    console.print(
        f"model {built.model} sha256 {built.model_sha256[:12]}… on runtime {built.runtime[:19]}…",
        soft_wrap=True,
    )


def _context(
    name: str,
    runtime: str,
    version: str,
    root: Path,
    dest: Path,
    registry: str,
    github_output: Path | None,
) -> None:
    """Write the context and print context=, tags= and build_args (multi-line) outputs."""
    import uuid

    from model.fleet.image import REPOSITORY, pinned_digest, prepare
    from model.proc import head_or_none

    digest = pinned_digest(runtime)  # CI builds FROM a digest only: a tag could move under it
    dest.mkdir(parents=True, exist_ok=True)
    ctx = prepare(root, name, dest, runtime, digest, version, head_or_none(root) or "")
    # Image names are lower-case; a GitHub owner (github.repository_owner) may not be.
    prefix = f"{registry.rstrip('/').lower()}/" if registry else ""
    delimiter = f"EOF_{uuid.uuid4().hex}"  # GitHub's multi-line output form
    lines = [
        f"context={dest}",
        f"tags={prefix}{REPOSITORY}/{name}:{ctx.version}",
        f"build_args<<{delimiter}",
        *(f"{key}={value}" for key, value in ctx.args.items()),
        delimiter,
    ]
    text = "\n".join(lines) + "\n"
    console.print(text, end="", soft_wrap=True, markup=False, highlight=False)
    if github_output is not None:
        with github_output.open("a") as sink:
            sink.write(text)


def register(app: typer.Typer) -> None:
    """Attach `model fleet image` to the fleet group (its own module: it needs Docker)."""
    from model.cli.commands.fleet import fleet_app

    fleet_app.command("image")(image)
