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
    from model.gitops import facts
    from model.gitops.audit import current, ledger
    from model.gitops.overlay import parse_image_ref
    from model.proc import head, toplevel
    from model.tracking import registry

    root = toplevel(repo)
    if image:
        parse_image_ref(image)
    uri = registry.configured_uri()
    if uri is None:
        _say_skipped()
        return
    if sync_aliases:
        for env, entry in current(ledger(root)).items():
            tags = {f"{env}_commit": entry.commit}
            console.print(registry.sync_alias(env, entry.release.model_sha256, tags))
        return
    commit = head(root)
    sha = facts.model_sha256(root, commit)
    tags = {"git_commit": commit, "data_md5": facts.data_md5(root, commit)}
    tags |= {"model_version": sha[:12], **({"image": image} if image else {})}
    console.print(registry.register(uri, sha, tags, root, run_id or None))


def register(app: typer.Typer) -> None:
    """Attach `model register`."""
    app.command("register")(register_model)
