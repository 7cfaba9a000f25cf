"""Shared rich console and the exit-code convention for commands."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1  # a check ran and said no (gate failed, drift found, mismatch)
EXIT_USAGE = 2  # bad input: nothing was changed

console = Console(highlight=False)
# soft_wrap: an error stays one line (people grep logs and copy digests from it).
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print an error for people and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
