"""`model workflows …`: render, submit and run the steps of the in-cluster retraining loop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from model.cli.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE, console, fail

workflows_app = typer.Typer(
    help="Argo Workflows for drift-triggered retraining (defined in model/training/spec.py).",
    no_args_is_help=True,
)
OUT = Path("k8s/workflows")


@workflows_app.command("render")
def render(
    out: Annotated[Path, typer.Option(help="Directory of the committed YAML.")] = OUT,
    check: Annotated[bool, typer.Option(help="Write nothing; exit 1 if files differ.")] = False,
) -> None:
    """Write the WorkflowTemplates, CronWorkflow, RBAC and kustomization as YAML."""
    from model.training.render import differences, write

    if check:
        diffs = differences(out)
        for line in diffs:
            console.print(f"  {line}")
        if diffs:
            console.print(f"{out} is out of date; run `model workflows render`")
            raise typer.Exit(EXIT_FAILED)
        console.print(f"{out} matches the generator")
        return
    for path in write(out):
        console.print(f"wrote {path}")


@workflows_app.command("pin-trainer")
def pin_trainer(
    image: Annotated[str, typer.Option(help="REF@sha256:… of the trainer the release pushed.")],
    out: Annotated[Path, typer.Option(help="Directory of the committed YAML.")] = OUT,
    push: Annotated[
        bool,
        typer.Option(help="Commit the pin (signed with the release key) and push it to main."),
    ] = False,
) -> None:
    """Release step: pin the trainer image by digest in k8s/workflows/kustomization.yaml."""
    from model.training.render import PinError
    from model.training.render import pin_trainer as do_pin

    try:
        if not push:
            console.print(f"pinned {image} in {do_pin(image, out)}")
            return
        from model.gitops.pins import land_pin

        landed = land_pin(Path.cwd(), lambda: do_pin(image, out), image)
    except PinError as err:
        fail(str(err))
    if landed.commit is None:
        console.print(f"{image} was already pinned in {out}; nothing to commit")
    else:
        console.print(
            f"pinned {image} in {out}: commit {landed.commit[:12]} pushed to "
            f"{landed.pushed_to} after {landed.attempts} attempt(s)"
        )


@workflows_app.command("submit")
def submit(
    template: Annotated[
        str, typer.Option(help="WorkflowTemplate to run.")
    ] = "credit-scoring-retrain",
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value")] = None,
) -> None:
    """Submit a run to the Argo Server at ARGO_SERVER_URL (token: ARGO_TOKEN)."""
    from model.training.submit import SubmitError
    from model.training.submit import submit as do_submit

    try:
        run = do_submit(template, param or [])
    except SubmitError as err:
        fail(str(err))
    console.print(f"submitted {run.namespace}/{run.name} from {run.template}")


@workflows_app.command("checkout")
def checkout(
    repo_url: Annotated[str, typer.Option(help="Git URL to clone.")],
    dest: Annotated[Path, typer.Option(help="Empty directory to clone into.")],
    rev: Annotated[str, typer.Option(help="Branch to check out.")] = "main",
) -> None:
    """Step 1 in the cluster: clone, pull data/ and the served model from the DVC remote."""
    from model.training.retrain import RetrainError
    from model.training.steps import checkout as do_checkout

    try:
        console.print(do_checkout(repo_url, rev, dest))
    except RetrainError as err:  # clone or pull failed: a failed step, not bad input
        fail(escape(str(err)), EXIT_FAILED)


@workflows_app.command("push")
def push(
    work: Annotated[Path, typer.Option(help="The run's shared volume.")] = Path("/work"),
    repo: Annotated[Path, typer.Option(help="The clone retrain committed in.")] = Path(
        "/work/repo"
    ),
) -> None:
    """After `model retrain --no-push`: dvc push + git push its branch (a retried step)."""
    from model.training.retrain import RetrainError
    from model.training.steps import push as do_push

    try:
        console.print(do_push(work, repo))
    except RetrainError as err:  # a refused push is a failed step, not bad input
        fail(escape(str(err)), EXIT_FAILED)


@workflows_app.command("report")
def report(
    work: Annotated[Path, typer.Option(help="The run's shared volume.")] = Path("/work"),
    drift: Annotated[
        bool, typer.Option("--drift/--no-drift", help="Was a drift check run?")
    ] = True,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="Open a GitHub issue on attention.")
    ] = True,
    run: Annotated[str, typer.Option(help="The workflow's name, quoted in the issue.")] = "",
) -> None:
    """Last step: summarise drift and retrain results; fail the run if a step did.

    Exit 0 ok, 1 a step or the gate failed, 2 the drift check had no usable input, 3
    (EXIT_ATTENTION) drift without new labels: a GitHub issue is opened or commented on.
    """
    from model.training.steps import run_report

    result = run_report(work, drift)
    console.print(result.markdown, markup=False)
    if result.attention and notify:
        _notify(result.markdown, run)
    raise typer.Exit(REPORT_EXIT[result.status])


EXIT_ATTENTION = 3  # drift without new labels: the run fails on purpose, a person must act
REPORT_EXIT = {
    "ok": EXIT_OK, "failed": EXIT_FAILED, "input": EXIT_USAGE, "attention": EXIT_ATTENTION,
}  # fmt: skip


def _notify(markdown: str, run: str) -> None:
    """Open or comment on the attention issue; a failed notification is said, never hidden."""
    from model.gitops.github import GitHubError
    from model.gitops.issues import notify_attention

    try:
        notice = notify_attention(markdown, run)
    except GitHubError as err:
        console.print(f"attention NOT notified: {err}", markup=False)
        return
    verb = "opened" if notice.created else "commented on"
    console.print(f"attention: {verb} {notice.url}", markup=False)


@workflows_app.command("scan")
def scan(
    snapshots: Annotated[str, typer.Option(help="s3:// prefix where labelled *.csv land.")],
    out: Annotated[Path, typer.Option(help="Write the snapshot URI here ('' if none).")],
) -> None:
    """Trigger step: the oldest snapshot not yet submitted (the scan CronWorkflow's first step)."""
    from model.training.scan import BucketError, next_snapshot

    try:
        found = next_snapshot(snapshots)
    except BucketError as err:
        fail(str(err), EXIT_FAILED)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(found or "")
    console.print(f"new snapshot: {found}" if found else f"no new snapshot under {snapshots}")


@workflows_app.command("mark")
def mark(
    snapshot: Annotated[str, typer.Option(help="s3:// URI of the snapshot just submitted.")],
) -> None:
    """Trigger step: record that a run was created for the snapshot (after the submit step)."""
    from model.training.scan import BucketError
    from model.training.scan import mark as do_mark

    try:
        console.print(f"marked {snapshot} as submitted: {do_mark(snapshot)}", markup=False)
    except BucketError as err:
        fail(str(err), EXIT_FAILED)


@workflows_app.command("open-pr")
def open_pr(
    branch: Annotated[str, typer.Option(help="Pushed retrain/… branch.")],
    base: Annotated[str, typer.Option(help="Branch the PR targets.")] = "main",
    body_file: Annotated[Path | None, typer.Option(help="Markdown body (model report).")] = None,
) -> None:
    """CI hand-off for a branch the cluster pushed: open (or update) its PR in GitHub Actions."""
    from model import config
    from model.gitops.github import open_pull_request

    if not branch.startswith("retrain/"):
        fail(f"expected a retrain/… branch pushed by `model retrain`; got {branch!r}")
    body = body_file.read_text() if body_file else f"Retrained in the cluster: `{branch}`."
    title = f"Retrain: {branch.removeprefix('retrain/')}"
    if config.get(config.GITHUB_ACTIONS) != "true":
        console.print(f"outside GitHub Actions; would open a pull request {branch} -> {base}")
        return
    pr = open_pull_request(branch, base, title, body)
    console.print(f"{'opened' if pr.created else 'updated'} pull request {pr.url}")


def register(app: typer.Typer) -> None:
    """Attach `model workflows` to the root app."""
    app.add_typer(workflows_app, name="workflows")
