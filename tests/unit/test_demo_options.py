"""`model demo --trainer-image`: the value reaches `docker run` before the step's command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from model.cli.app import ModelGroup
from model.cli.commands import demo

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("value", ["--privileged", "-v/:/host", "a b", "", "img:tag;rm"])
def test_a_trainer_image_that_is_not_a_reference_is_a_usage_error(
    value: str, tmp_path: Path
) -> None:
    app = typer.Typer(cls=ModelGroup)
    demo.register(app)
    app.command("other")(lambda: None)  # two commands: `demo` stays a subcommand
    workdir = tmp_path / "scratch"
    result = CliRunner().invoke(
        app, ["demo", "--workdir", str(workdir), f"--trainer-image={value}"]
    )
    assert result.exit_code == 2, result.output
    assert "--trainer-image" in result.output and "NAME[:TAG]" in result.output
    assert not workdir.exists()  # refused before the scratch is wiped or made
