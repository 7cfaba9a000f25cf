"""The `model` command line: a thin Typer layer over one module per verb.

Command modules live in model/cli/commands/ and expose `register(app)`. They import heavy
libraries inside the command functions only, so `model --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from model.cli import commands

app = typer.Typer(
    name="model",
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
