"""The one console (stdout and stderr, built on first use) and the exit-code convention."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1  # a check ran and said no (gate failed, drift found, mismatch)
EXIT_USAGE = 2  # bad input: nothing was changed


@cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    # soft_wrap: a line stays one line (people grep logs and copy digests and refs from it).
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def __getattr__(name: str) -> Console:
    """`console` and `err_console`, built when a command first prints (not at import)."""
    if name == "console":
        return _console(False)
    if name == "err_console":
        return _console(True)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def error(message: str) -> None:
    """Print an error for people on stderr, one line, markup in `message` left as text."""
    from rich.markup import escape

    _console(True).print(f"[bold red]error:[/] {escape(message)}")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print an error for people and exit with `code`."""
    _console(True).print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
