"""The `causeway` command: one entry point for operators and the demo."""

from __future__ import annotations

import typer

from causeway.sandbox.cli import app as sandbox_app

app = typer.Typer(
    name="causeway",
    help="Keep CRM and ERP systems in step.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def version() -> None:
    """Print the installed version."""
    from causeway import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
