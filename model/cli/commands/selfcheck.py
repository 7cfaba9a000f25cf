"""`model selfcheck`: the Argo CD hooks' check of a model (PreSync) or of a server (PostSync)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    from model.serving.selfcheck import (
        NoExpectedDigest,
        SelfCheckError,
        check_model,
        check_url,
        expected_digest,
    )

    try:
        if url:
            lines = check_url(url)
        else:
            lines = check_model(model_dir, expected_digest(model_dir, sha256))
    except NoExpectedDigest as exc:
        fail(str(exc), EXIT_USAGE)
    except (SelfCheckError, OSError, KeyError, ValueError) as exc:
        fail(f"selfcheck failed: {exc}", EXIT_FAILED)
    for line in lines:
        console.print(f"[green]ok[/] {line}")


def register(app: typer.Typer) -> None:
    """Attach `model selfcheck`."""
    app.command("selfcheck")(selfcheck)
