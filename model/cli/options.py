"""Options several commands share: `--model NAME` and its check.

A model name is hostile until checked: it becomes a path (fleet/NAME), a git argument and an
MLflow registered-model name. The check runs before anything is read or sent, and a bad or
unknown name is a usage error (FleetError, exit 2) that says what a name looks like.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def model_option(text: str) -> Any:
    """`--model NAME` ('' = the root model, credit-scoring), with `text` as its help."""
    return typer.Option("", "--model", help=text)


def known_model(root: Path, name: str) -> str:
    """`name` ('' = the root model) once it is a well-formed name with a model folder here."""
    from model.fleet.layout import DEFAULT_MODEL, load

    name = name or DEFAULT_MODEL
    load(root, name)  # checks the name, then fleet/NAME's manifest: FleetError (exit 2)
    return name
