"""`model retrain`: retrain on new data and propose the result as a pull request."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from model.cli.console import EXIT_FAILED, console, fail

if TYPE_CHECKING:
    from model.training.retrain import Project

SNAPSHOT_HELP = "New raw data: a CSV path or a URL `dvc get-url` reads (s3://, https://)."
TRIGGER_HELP = "Why it runs (drift, new-data, schedule…); names the branch."
BASE_HELP = "Branch the report compares with and the PR targets."
REPO_HELP = "Repository root: a clean checkout of --base."
MODEL_HELP = "A fleet model (fleet/NAME, its own DVC project); default: the root model."


def project(repo: Path, name: str | None) -> Project:
    """The retrain's subject: the root model, or fleet/NAME once the name is checked."""
    import yaml

    from model.fleet.layout import DEFAULT_MODEL, MANIFEST, check_name, folder, load
    from model.training.retrain import Project

    if name is None or name == DEFAULT_MODEL:
        return Project()
    load(repo, check_name(name))  # a bad name or a missing folder: FleetError, exit 2
    where = folder(name)
    data = yaml.safe_load((repo / where / MANIFEST).read_text()).get("data", "")
    raw = Path(str(data)).name  # the manifest's data/<file>.csv, never a path out of data/
    if not raw.endswith(".csv") or Path(str(data)).parent != Path("data"):
        fail(f"{where}/{MANIFEST}: expected `data: data/<file>.csv`; found {data!r}")

    def pull(root: Path) -> str:
        from model.fleet.data import pull as fleet_pull

        return fleet_pull(root, name).md5

    return Project(name, where, raw, pull)


def retrain(
    snapshot: Annotated[str | None, typer.Option(help=SNAPSHOT_HELP)] = None,
    trigger: Annotated[str, typer.Option(help=TRIGGER_HELP)] = "manual",
    base: Annotated[str, typer.Option(help=BASE_HELP)] = "main",
    push: Annotated[bool, typer.Option("--push/--no-push", help="dvc push + git push.")] = True,
    repo: Annotated[Path, typer.Option(help=REPO_HELP)] = Path(),
    summary: Annotated[Path | None, typer.Option(help="Write the outcome as JSON here.")] = None,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
) -> None:
    """Pull data, re-pin a snapshot, dvc repro, report, commit on retrain/…, push, open the PR."""
    from rich.markup import escape

    from model.training.retrain import RetrainError
    from model.training.retrain import retrain as run

    if not (repo / "dvc.yaml").is_file():
        fail(f"{repo.resolve()} has no dvc.yaml; run from the repository root or pass --repo")
    chosen = project(repo, model)  # before anything runs: a hostile name stops here, exit 2
    from model import config

    open_pr = None
    if config.get(config.GITHUB_TOKEN):  # else retrain-pr.yaml opens it for the pushed branch
        from model.gitops.github import open_pull_request as open_pr
    try:
        out = run(repo, snapshot=snapshot, trigger=trigger, base=base, push=push,
                  say=console.print, open_pr=open_pr, project=chosen)  # fmt: skip
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
