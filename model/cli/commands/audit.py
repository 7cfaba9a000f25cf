"""`model audit`: the promotion ledger from git trailers; `model audit verify`: check every link."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from model.cli.console import EXIT_FAILED, EXIT_USAGE, console, err_console, fail
from model.cli.options import model_name_option

HERE = Path()  # default work tree: the current directory

audit_app = typer.Typer(
    help="Promotion ledger from Git history, and link verification.", invoke_without_command=True
)
FORMATS = ("table", "json", "md")


@audit_app.callback()
def audit(
    ctx: typer.Context,
    env: str = typer.Option("", help="Only this environment."),
    at: str = typer.Option("", help="State as of TIME (anything `git log --before` takes)."),
    fmt: str = typer.Option("table", "--format", help="table, json or md."),
    model: Annotated[
        str | None, typer.Option("--model", help="Only this model (default: every model).")
    ] = None,
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Print every promotion and rollback, oldest first, and what each model's envs run."""
    if ctx.invoked_subcommand:
        return
    from model.gitops.audit import current_by_model, read, render
    from model.gitops.overlay import check_env

    if fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; expected one of {', '.join(FORMATS)}", EXIT_USAGE)
    if env:
        check_env(env)
    if model is not None:
        from model.fleet.layout import check_name

        check_name(model)
    book = read(repo, env or None, at or None, model=model)
    entries = book.entries
    print(render(entries, fmt))  # plain print: fast, and pipes cleanly into jq/markdown
    if fmt == "table":
        lines = [
            f"{name} {where}{' at ' + at if at else ''}: {e.release.image_ref} "
            f"model {e.release.model_version} (commit {e.commit[:12]})"
            for (name, where), e in current_by_model(entries).items()
        ]
        print("\n".join(lines))  # one write: a fleet has thousands of these lines
    if book.malformed:
        for bad in book.malformed:
            err_console.print(
                f"malformed promotion commit {bad.commit[:12]} ({escape(bad.subject)}): "
                f"{escape(bad.reason)}; it is left out of the ledger above",
                markup=True,
            )
        fail(
            f"{len(book.malformed)} commit(s) claim a promotion but are malformed: find who "
            "pushed them (`git show COMMIT`), then promote or roll back to set the record straight",
            EXIT_FAILED,
        )


@audit_app.command("verify")
def verify(
    env: str = typer.Option("", help="Only this environment."),
    docker: bool = typer.Option(
        True, help="Compare the image's OCI labels when Docker has the image."
    ),
    model: Annotated[str | None, model_name_option("its release files = its promotions")] = None,
    repo: Annotated[Path, typer.Option(help="Work tree.")] = HERE,
) -> None:
    """Check overlay = trailers, model = dvc.lock pin, MLflow alias = Git, labels = trailers."""
    from model.fleet.promotion import verify as run
    from model.gitops import ENVIRONMENTS
    from model.gitops.overlay import check_env
    from model.gitops.verify import BROKEN, OK
    from model.proc import toplevel

    envs = (check_env(env),) if env else ENVIRONMENTS
    links = run(toplevel(repo), model, envs, use_docker=docker)
    colour = {OK: "green", BROKEN: "bold red"}
    for link in links:
        console.print(
            f"[{colour.get(link.status, 'yellow')}]{link.status:>7}[/] {link.env:<8} "
            f"{link.name}: {escape(link.detail)}"
        )
    broken = [link for link in links if link.status == BROKEN]
    if broken:
        fail(f"{len(broken)} broken link(s); see above", EXIT_FAILED)
    console.print("all checked links hold")


def register(app: typer.Typer) -> None:
    """Attach `model audit`."""
    app.add_typer(audit_app, name="audit")
