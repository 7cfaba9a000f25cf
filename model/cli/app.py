"""The `model` command line: a thin Typer layer over one module per verb.

Command modules live in model/cli/commands/ and expose `register(app)`. They import heavy
libraries inside the command functions only, so `model --help` stays fast. Errors map to exit
codes here, once: every project error carries its `exit_code` (model.config.ModelError).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import click
import typer
from typer.core import TyperGroup

from model.cli import commands
from model.cli.console import error
from model.config import ModelError


class ModelGroup(TyperGroup):
    """The root group: a ModelError from any command becomes one error line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map the project's errors (0 ok, 1 check failed, 2 usage/input)."""
        try:
            return super().invoke(ctx)
        except ModelError as err:
            error(str(err))
            raise typer.Exit(err.exit_code) from err


app = typer.Typer(
    name="model",
    cls=ModelGroup,
    help="GitOps CI/CD for the credit-scoring model: data, pipeline, review, serving, release.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    app()
