"""`model status --poll`: a usage error before anything is read or contacted."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from model.cli.app import ModelGroup
from model.cli.commands import status

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["0", "-1", "0.1", "301", "nan", "soon"])
def test_a_poll_interval_out_of_range_is_a_usage_error(value: str) -> None:
    app = typer.Typer(cls=ModelGroup)
    status.register(app)
    app.command("other")(lambda: None)  # two commands: `status` stays a subcommand
    result = CliRunner().invoke(app, ["status", "staging", "--wait", "5", f"--poll={value}"])
    assert result.exit_code == 2, result.output
    assert "--poll" in result.output
