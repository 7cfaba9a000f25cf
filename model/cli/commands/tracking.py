"""`model tracking …`: the embedded MLflow tracking server on loopback."""

from __future__ import annotations

import typer

from model.cli.console import EXIT_FAILED, console

tracking_app = typer.Typer(
    help="Run the embedded MLflow server (SQLite, 127.0.0.1).", no_args_is_help=True
)


@tracking_app.command("up")
def up(port: int = typer.Option(0, help="Port on 127.0.0.1; 0 picks a free one.")) -> None:
    """Start the server if it is not running and print its URI."""
    from model.tracking.server import start

    console.print(start(port=port or None))


@tracking_app.command("down")
def down() -> None:
    """Stop the server if it is running."""
    from model.tracking.server import stop

    console.print("stopped" if stop() else "not running")


@tracking_app.command("status")
def status() -> None:
    """Print the server's URI, or exit 1 when it is not running."""
    from model.tracking.server import running_uri

    uri = running_uri()
    console.print(uri or "not running")
    if uri is None:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Attach `model tracking` to the root app."""
    app.add_typer(tracking_app, name="tracking")
