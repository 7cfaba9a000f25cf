"""Run demo steps: timed rich status lines, a summary table, and failures people can re-run."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from model.config import CheckFailed
from model.proc import run


class StepFailed(CheckFailed):
    """A command of a step failed; carries the command line and its output."""

    def __init__(self, cmd: Sequence[str], cwd: Path, code: int, output: str) -> None:
        self.cmd, self.cwd, self.code, self.output = list(cmd), cwd, code, output
        super().__init__(f"`{shlex.join(cmd)}` (in {cwd}) exited {code}")


@dataclass
class Row:
    """One line of the closing summary."""

    step: str
    outcome: str
    seconds: float


@dataclass
class Runner:
    """Runs commands with a fixed environment and records each step's outcome and time."""

    console: Console
    env: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    outcome: str = ""

    def sh(
        self, *cmd: str, cwd: Path, ok: tuple[int, ...] = (0,), timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run a command; raise StepFailed (with its output) on an unexpected exit code."""
        proc = run(cmd, cwd, env={**os.environ, **self.env}, check=False, timeout=timeout)
        if proc.returncode not in ok:
            raise StepFailed(cmd, cwd, proc.returncode, proc.stdout + proc.stderr)
        return proc

    def say(self, outcome: str) -> None:
        """Set what the current step achieved (shown in its status line and the summary)."""
        self.outcome = outcome

    @contextmanager
    def step(self, number: int, title: str) -> Iterator[None]:
        """Time a step; print a status line when it ends."""
        self.outcome = ""
        start = time.monotonic()
        with self.console.status(f"[bold]{number}. {title}[/] …"):
            yield
        seconds = time.monotonic() - start
        self.rows.append(Row(f"{number}. {title}", self.outcome, seconds))
        self.console.print(
            f"[green]✔[/] [bold]{number}. {title}[/] [dim]({seconds:.1f}s)[/] {self.outcome}"
        )

    def table(self) -> Table:
        """The closing summary: step, what happened, time."""
        table = Table(title="make demo: the GitOps loop on this machine")
        table.add_column("step")
        table.add_column("what happened")
        table.add_column("time", justify="right")
        for row in self.rows:
            table.add_row(row.step, row.outcome, f"{row.seconds:.1f}s")
        table.add_row("total", "", f"{sum(r.seconds for r in self.rows):.1f}s", style="bold")
        return table
