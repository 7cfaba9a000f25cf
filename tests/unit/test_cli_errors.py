"""The CLI maps project errors to exit codes in one place (model/cli/app.py: ModelGroup)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from model.cli.app import ModelGroup
from model.config import CheckFailed, ModelError, UsageError
from model.gitops.follow import after_promotion
from model.gitops.land import Landed
from model.gitops.trailers import Release
from model.proc import GitError, ProcError

pytestmark = pytest.mark.unit


def _exit_of(error: Exception) -> tuple[int, str]:
    app = typer.Typer(cls=ModelGroup)

    @app.command("boom")
    def boom() -> None:
        raise error

    @app.command("other")
    def other() -> None: ...

    result = CliRunner().invoke(app, ["boom"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CheckFailed("gate said no"), 1),
        (UsageError("no such environment"), 2),
        (ProcError(["dvc", "push"], 1, "remote refused"), 1),
        (GitError(["git", "push"], 128, "fatal: no origin"), 1),
        (ModelError("unclassified"), 1),
    ],
)
def test_each_error_kind_exits_with_its_code_and_one_line(error: Exception, code: int) -> None:
    exit_code, output = _exit_of(error)
    assert exit_code == code, output
    assert output.startswith("error: ") and output.count("\n") == 1, output
    assert str(error) in output


def test_markup_in_an_error_is_printed_as_text() -> None:
    _, output = _exit_of(UsageError("value [bold]x[/bold] refused"))
    assert "[bold]x[/bold]" in output


def test_other_exceptions_are_not_swallowed() -> None:
    app = typer.Typer(cls=ModelGroup)

    @app.command("boom")
    def boom() -> None:
        raise KeyError("a bug")

    @app.command("other")
    def other() -> None: ...

    result = CliRunner().invoke(app, ["boom"])
    assert isinstance(result.exception, KeyError)


RELEASE = Release(
    environment="prod", model_version="abc", model_sha256="0" * 64, data_md5="unknown",
    image="ghcr.io/o/credit-scoring", image_digest="sha256:" + "c" * 64, source_commit="f" * 40,
)  # fmt: skip


def test_a_review_branch_is_read_from_the_outcome_not_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODEL_REGISTRY", "0")
    # A remote whose name holds a slash: splitting "team/origin/promote/…" once got it wrong.
    review = Landed("1" * 40, 1, "team/origin/promote/prod-cccc", "promote/prod-cccc")
    lines = after_promotion("prod", RELEASE, review, "main", open_pr=False)
    assert lines == [
        "prod goes through review: merge the promotion branch; the alias follows on merge"
    ]
    direct = Landed("1" * 40, 1, "team/origin/main")
    assert after_promotion("prod", RELEASE, direct, "main", open_pr=False)[0].startswith(
        "MLflow alias skipped"
    )


def test_selfcheck_reads_the_expected_digest_as_the_server_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model.cli.app import _register_commands, app

    _register_commands()
    pin = tmp_path / "pin"
    pin.write_text("not-a-digest\n")
    monkeypatch.delenv("MODEL_SHA256", raising=False)
    monkeypatch.setenv("MODEL_SHA256_FILE", str(pin))
    result = CliRunner().invoke(app, ["selfcheck", "--model-dir", str(tmp_path)])
    # A malformed pin is bad input (2), said as the server says it, before any model is read.
    assert result.exit_code == 2, result.output
    assert "MODEL_SHA256_FILE" in result.output and "sha256" in result.output
