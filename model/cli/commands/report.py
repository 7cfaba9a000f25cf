"""`model report`: compare head with the merge-base; write report.md/json; exit with the gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from model.cli.console import EXIT_FAILED, EXIT_OK, console

if TYPE_CHECKING:
    from model.review.sides import Subject

ROOT_POLICY = Path(".github/promotion-gate.yaml")


def subject(root: Path, name: str | None) -> tuple[Subject, Path]:
    """The model to report on and its gate policy: a fleet folder's, or the root model's."""
    from model.fleet.layout import CONTRACT, DEFAULT_MODEL, GATE, check_name, load
    from model.review.sides import Subject

    if name is None or name == DEFAULT_MODEL:
        return Subject(DEFAULT_MODEL), ROOT_POLICY
    from model.core.contract_file import load as load_contract

    info = load(root, check_name(name))
    contract = load_contract(root / info.path(CONTRACT))
    return Subject(name, info.folder, contract), Path(info.path(GATE))


def report(
    base: Annotated[
        str | None,
        typer.Option(
            help="Base revision (default: merge-base of HEAD with origin/main, else main)."
        ),
    ] = None,
    head: Annotated[
        str, typer.Option(help="Head revision, or `workspace` for the work tree's outputs.")
    ] = "workspace",
    out: Annotated[
        Path, typer.Option(help="Directory for report.md, report.json and the PNGs.")
    ] = Path("report"),
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Promotion-gate policy file (default: .github/promotion-gate.yaml, or the "
            "fleet model's gate.yaml)."
        ),
    ] = None,
    lock_status: Annotated[
        Path | None,
        typer.Option(
            help="JSON written by `model verify-lock --out`; adds the reproducibility verdict."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A fleet model (fleet/NAME: its outputs, contract and gate.yaml); default: "
            "the root model. A model with no folder at the base gets a new-model report.",
        ),
    ] = None,
    repo: Annotated[Path, typer.Option(help="Repository root.")] = Path(),
) -> None:
    """Compare head with its base; exit 0 gate passed, 1 gate failed, 2 bad input."""
    from model.review.run import run

    root = repo.resolve()
    chosen, default_policy = subject(root, model)
    result = run(
        root, base=base, head=head, out=out, policy_path=policy or default_policy,
        lock_status=lock_status, subject=chosen,
    )  # fmt: skip
    console.print(result["verdict"])
    console.print(f"report: {out / 'report.md'}")
    raise typer.Exit(EXIT_OK if result["passed"] else EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model report` to the root app."""
    app.command("report")(report)
