"""`--model NAME` for a verb that acts on one model: the option and its check, in one place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from model.fleet.layout import ModelInfo


def model_option(what: str) -> Any:
    """The `--model` option; `what` says what the verb uses from fleet/NAME."""
    return typer.Option(
        "--model", help=f"A fleet model: {what}. Default: the root model (credit-scoring)."
    )


def fleet_model(repo: Path, name: str | None) -> ModelInfo | None:
    """None for the root model; else fleet/NAME's manifest, once the name is checked.

    A hostile or malformed name, or one with no model folder in `repo`, is a FleetError (a
    usage error: exit 2) raised here, before the verb reads or runs anything.
    """
    from model.fleet.layout import DEFAULT_MODEL, check_name, load

    if name is None or name == DEFAULT_MODEL:
        return None
    return load(repo, check_name(name))
