"""`model serve`: the model server (POST /v1/predict, Open Inference Protocol v2, /metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model import config, names
from model.cli.console import fail


def serve(
    model_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with model.onnx and model.json (default: $MODEL_DIR, else models)."
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind; 0.0.0.0 only inside a container.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = names.SERVING_PORT,
    repository: Annotated[
        Path | None,
        typer.Option(
            help="Serve many models: a folder of <name>/ model folders, or a YAML/JSON index "
            "of name, uri, sha256 (docs/serving.md). Replaces --model-dir."
        ),
    ] = None,
) -> None:
    """Serve the model; refuses to become ready if its sha256 differs from MODEL_SHA256."""
    from model.serving.run import serve as run_server

    folder = model_dir or Path(config.get(config.MODEL_DIR, "models") or "models")
    missing = [name for name in ("model.onnx", "model.json") if not (folder / name).is_file()]
    if missing and repository is None:
        fail(
            f"{folder} lacks {', '.join(missing)}; run `dvc pull models` or `dvc repro train` first"
        )
    try:
        run_server(folder, host, port, repository)
    except ValueError as err:
        fail(str(err))


def register(app: typer.Typer) -> None:
    """Attach `model serve` to the root app."""
    app.command("serve")(serve)
