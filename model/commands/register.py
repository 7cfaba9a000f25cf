"""`model register`: register the pipeline's model in MLflow, tagged with commit and image."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model.console import EXIT_FAILED, console, fail

HERE = Path()  # default work tree: the current directory


def register_model(
    image: str = typer.Option("", help="REF@DIGEST of the image that carries the model (tagged)."),
    run_id: str = typer.Option("", help="MLflow run to register (default: by model_sha256 tag)."),
    sync_aliases: bool = typer.Option(
        False, help="Instead: point staging/prod aliases at what Git pins."
    ),
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Register models/model.onnx's run as a version of credit-scoring (idempotent)."""
    from model.gitops import facts, registry
    from model.gitops.audit import current, ledger
    from model.gitops.git import head, toplevel

    root = toplevel(repo)
    if sync_aliases:
        for env, entry in current(ledger(root)).items():
            console.print(
                registry.sync_alias(
                    env, entry.release.model_sha256, {f"{env}_commit": entry.commit}
                )
            )
        return
    commit = head(root)
    try:
        sha = facts.model_sha256(root, commit)
        tags = {"git_commit": commit, "data_md5": facts.data_md5(root, commit)}
        if image:
            tags["image"] = image
        console.print(registry.register(sha, tags, root, run_id or None))
    except (facts.FactsError, registry.RegistryError) as exc:
        fail(str(exc), EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model register`."""
    app.command("register")(register_model)
