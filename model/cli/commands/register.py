"""`model register`: register the release's model in MLflow from its own facts (run or no run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import console

HERE = Path()  # default work tree: the current directory
NOT_CONFIGURED = (
    "MLflow registry: NOT registered, no tracking server is configured "
    "(MLFLOW_TRACKING_URI unset, or MODEL_REGISTRY=0). Set it to register this release."
)


def _say_skipped() -> None:
    """A skip is loud: on GitHub it is also a warning annotation on the run."""
    from model import config

    if config.get(config.GITHUB_ACTIONS) == "true":
        console.print(f"::warning title=MLflow registry::{NOT_CONFIGURED}", soft_wrap=True)
    console.print(f"[bold yellow]{NOT_CONFIGURED}[/]", soft_wrap=True)


def register_model(
    image: str = typer.Option("", help="REF@DIGEST of the image that carries the model (tagged)."),
    run_id: str = typer.Option("", help="MLflow run to link (default: found by model_sha256)."),
    sync_aliases: bool = typer.Option(
        False, help="Instead: point staging/prod aliases at what Git pins."
    ),
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Register models/model.onnx as a version of credit-scoring (idempotent)."""
    from model.gitops.overlay import parse_image_ref
    from model.gitops.registration import register_release
    from model.gitops.registration import sync_aliases as sync
    from model.proc import toplevel
    from model.tracking import registry

    root = toplevel(repo)
    if image:
        parse_image_ref(image)  # bad input is refused even when nothing would be registered
    uri = registry.configured_uri()
    if uri is None:
        _say_skipped()
        return
    lines = sync(root) if sync_aliases else [register_release(root, uri, image, run_id)]
    for line in lines:
        console.print(line)


def register(app: typer.Typer) -> None:
    """Attach `model register`."""
    app.command("register")(register_model)
