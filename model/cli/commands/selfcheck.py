"""`model selfcheck`: the Argo CD hooks' check of a model (PreSync) or of a server (PostSync)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from model import config
from model.cli.console import EXIT_FAILED, EXIT_USAGE, console, fail
from model.names import IMAGE_MODEL_DIR

IMAGE_DIR = Path(IMAGE_MODEL_DIR)


def selfcheck(
    model_dir: Annotated[
        Path, typer.Option(help="Directory with model.onnx, model.json.")
    ] = IMAGE_DIR,
    sha256: str = typer.Option(
        "", help="Expected model sha256 (default: $MODEL_SHA256 or $MODEL_SHA256_FILE)."
    ),
    url: str = typer.Option(
        "", help="Check a running server at this base URL instead of a model directory."
    ),
) -> None:
    """Exit non-zero when the model's sha256 or a smoke prediction is wrong."""
    from model.serving.selfcheck import SelfCheckError, check_model, check_url

    try:
        if url:
            lines = check_url(url)
        else:
            expected = sha256 or config.get(config.MODEL_SHA256) or _from_file()
            if not expected:
                fail(
                    "no expected sha256: pass --sha256 or set MODEL_SHA256 / MODEL_SHA256_FILE",
                    EXIT_USAGE,
                )
            lines = check_model(model_dir, expected.strip())
    except (SelfCheckError, OSError, KeyError, ValueError) as exc:
        fail(f"selfcheck failed: {exc}", EXIT_FAILED)
    for line in lines:
        console.print(f"[green]ok[/] {line}")


def _from_file() -> str:
    path = config.get(config.MODEL_SHA256_FILE)
    return Path(path).read_text().strip() if path else ""


def register(app: typer.Typer) -> None:
    """Attach `model selfcheck`."""
    app.command("selfcheck")(selfcheck)
