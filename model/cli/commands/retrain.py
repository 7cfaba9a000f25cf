"""`model retrain`: retrain on new data and propose the result as a pull request."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail

SNAPSHOT_HELP = "New raw data: a CSV path or a URL `dvc get-url` reads (s3://, https://)."
TRIGGER_HELP = "Why it runs (drift, new-data, schedule…); names the branch."
BASE_HELP = "Branch the report compares with and the PR targets."
REPO_HELP = "Repository root: a clean checkout of --base."


def retrain(
    snapshot: Annotated[str | None, typer.Option(help=SNAPSHOT_HELP)] = None,
    trigger: Annotated[str, typer.Option(help=TRIGGER_HELP)] = "manual",
    base: Annotated[str, typer.Option(help=BASE_HELP)] = "main",
    push: Annotated[bool, typer.Option("--push/--no-push", help="dvc push + git push.")] = True,
    repo: Annotated[Path, typer.Option(help=REPO_HELP)] = Path(),
    summary: Annotated[Path | None, typer.Option(help="Write the outcome as JSON here.")] = None,
) -> None:
    """Pull data, re-pin a snapshot, dvc repro, report, commit on retrain/…, push, open the PR."""
    from rich.markup import escape

    from model.training.retrain import RetrainError
    from model.training.retrain import retrain as run

    if not (repo / "dvc.yaml").is_file():
        fail(f"{repo.resolve()} has no dvc.yaml; run from the repository root or pass --repo")
    from model import config

    open_pr = None
    if config.get(config.GITHUB_TOKEN):  # else retrain-pr.yaml opens it for the pushed branch
        from model.gitops.github import open_pull_request as open_pr
    try:
        out = run(repo, snapshot=snapshot, trigger=trigger, base=base, push=push,
                  say=console.print, open_pr=open_pr)  # fmt: skip
    except RetrainError as err:  # a step failed (dvc, git push, report): a failed run, not input
        fail(escape(str(err)), EXIT_FAILED)
    if summary is not None:
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text(out.to_json())
    if out.status == "unchanged":
        console.print(f"data md5 unchanged ({out.new_md5}): nothing to retrain, nothing pushed")
        return
    where = "pushed to origin" if out.pushed else "committed locally (--no-push)"
    console.print(f"branch [bold]{out.branch}[/] {where}")
    if not out.pr_opened:
        console.print(
            "no GITHUB_TOKEN: retrain-pr.yaml opens the PR for the pushed branch, or run\n  "
            + shlex.join(["model", "workflows", "open-pr", "--branch", out.branch, "--base", base])
        )
    if not out.gate_passed:
        console.print("[bold red]the model report's gate failed[/]; the PR shows why")
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model retrain` to the root app."""
    app.command("retrain")(retrain)
