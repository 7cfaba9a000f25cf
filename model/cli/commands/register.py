"""`model register`: register the release's model in MLflow from its own facts (run or no run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_USAGE, console, fail
from model.cli.options import known_model, model_name_option

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
    model: Annotated[str | None, model_name_option("registers it as MLflow model NAME")] = None,
    changed_in: str = typer.Option(
        "",
        help="With --sync-aliases, instead of --model: every model whose pins this commit "
        "changed (against its first parent: a merged promotion PR).",
    ),
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Register a model (models/model.onnx, or fleet/NAME's) as a version of it (idempotent)."""
    from model.fleet.layout import project_folder
    from model.gitops.overlay import parse_image_ref
    from model.gitops.registration import register_release
    from model.gitops.registration import sync_aliases as sync
    from model.proc import toplevel
    from model.tracking import registry

    root = toplevel(repo)
    # Bad input is refused even when nothing would be registered, and before anything is sent.
    if image:
        parse_image_ref(image)
    if changed_in and (not sync_aliases or model is not None):
        fail("--changed-in goes with --sync-aliases and without --model", EXIT_USAGE)
    names = _changed(root, changed_in) if changed_in else [known_model(root, model)]
    uri = registry.configured_uri()
    if uri is None:
        _say_skipped()
        return
    if sync_aliases:
        lines = [line for name in names for line in sync(root, name)]
    else:
        (name,) = names
        lines = [register_release(root, uri, image, run_id, name, project_folder(name))]
    for line in lines:
        console.print(line)


def _changed(root: Path, rev: str) -> list[str]:
    """The models commit `rev` re-pinned, each checked like --model; said when there is none."""
    from model.fleet.repinned import repinned

    names = [known_model(root, name) for name in repinned(root, rev)]
    if not names:
        console.print(f"no model's pins changed in {rev}: no MLflow alias to sync")
    return names


def register(app: typer.Typer) -> None:
    """Attach `model register`."""
    app.command("register")(register_model)
