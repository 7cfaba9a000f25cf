"""Options several commands share: `--model NAME` and its check.

A model name is hostile until checked: it becomes a path (fleet/NAME), a git argument and an
MLflow registered-model name. The check runs before anything is read or sent, and a bad or
unknown name is a usage error (FleetError, exit 2) that says what a name looks like.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from model.fleet.layout import ModelInfo


def known_model(root: Path, name: str | None) -> str:
    """`name` (None = the root model) once it is a well-formed name with a model folder here."""
    from model.fleet.layout import DEFAULT_MODEL, load

    name = DEFAULT_MODEL if name is None else name
    load(root, name)  # checks the name, then fleet/NAME's manifest: FleetError (exit 2)
    return name


# For `Annotated[str | None, …] = None` parameters: None (no flag) is the root model, and an
# empty `--model ''` is a bad name (exit 2) in every verb.
def model_name_option(what: str) -> Any:
    """`--model NAME` for an `Annotated[str | None, …] = None` parameter; `what` it uses."""
    return typer.Option(
        "--model", help=f"A fleet model: {what}. Default: the root model (credit-scoring)."
    )


def fleet_model(root: Path, name: str | None) -> ModelInfo | None:
    """None for the root model; else fleet/NAME's manifest once the name and folder check out."""
    from model.fleet.layout import DEFAULT_MODEL, check_name, load

    if name is None or name == DEFAULT_MODEL:
        return None
    return load(root, check_name(name))  # FleetError (exit 2) before the verb runs anything
