"""`model demo`: the whole GitOps loop, PR to production and back, in a scratch workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console


def _image_ref(value: str | None) -> str | None:
    """An image reference, never a flag: it goes into `docker run` before the step's command."""
    from model.fleet.image import RUNTIME_REF

    if value is not None and not RUNTIME_REF.fullmatch(value):
        raise typer.BadParameter(f"{value!r} is not NAME[:TAG][@sha256:HEX]")
    return value


def demo(
    workdir: Annotated[
        Path, typer.Option(help="Scratch folder (wiped first); never your checkout.")
    ] = Path(".state/demo"),
    source: Annotated[
        Path, typer.Option(help="Repository (or bare repo) the demo's origin is cloned from.")
    ] = Path(),
    trainer_image: Annotated[
        str | None,
        typer.Option(
            help="Image step 9 runs in, if the engine holds it built from this very package "
            "(never pulled); otherwise step 9 runs as local processes. Default: the image "
            "`make image-trainer` builds.",
            callback=_image_ref,
            show_default=False,
        ),
    ] = None,
) -> None:
    """PR review, release, promotion, preview, rollback and audit on real git/DVC/MLflow/Docker."""
    from model import config
    from model.demo.play import play
    from model.proc import venv_env

    root = workdir.resolve()
    # MODEL_ENV_READY: run the make targets inside this environment, not a second venv per clone.
    extra = {"MODEL_ENV_READY": "1", config.MODEL_STATE_DIR: str(root / "state")}
    child_env = {k: v for k, v in venv_env(extra).items() if k in {"PATH", *extra}}
    code = play(source.resolve(), root, console, child_env, trainer_image)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Attach `model demo`."""
    app.command("demo")(demo)
