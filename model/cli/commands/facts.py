"""`model facts`: KEY=VALUE facts of HEAD's model (image build args, release outputs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def facts(
    rev: Annotated[str, typer.Option(help="Commit whose dvc.lock pins the model.")] = "HEAD",
    repo: Annotated[Path, typer.Option(help="Work tree.")] = Path(),
) -> None:
    """Print model_sha256, model_version, data_md5 and revision as KEY=VALUE lines."""
    from model.gitops.facts import release_facts
    from model.proc import git

    sha = git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    for key, value in release_facts(repo, sha).items():
        typer.echo(f"{key}={value}")  # plain lines: they are appended to $GITHUB_OUTPUT


def register(app: typer.Typer) -> None:
    """Attach `model facts`."""
    app.command("facts")(facts)
