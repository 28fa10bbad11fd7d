"""The `causeway` command: one entry point for operators and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from causeway.api.cli import app as api_app
from causeway.observe.cli import trace_command
from causeway.processes.cli import app as orders_app
from causeway.processes.returns_cli import app as returns_app
from causeway.runtime.cli import app as dlq_app
from causeway.runtime.cli import flow_app
from causeway.sandbox.cli import app as sandbox_app
from causeway.store.cli import app as db_app
from causeway.sync.cli import (
    decisions_command,
    reconcile_command,
    review_app,
    sync_app,
    xref_app,
)

app = typer.Typer(
    name="causeway",
    help="Keep CRM and ERP systems in step.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(api_app, name="api")
app.add_typer(db_app, name="db")
app.add_typer(dlq_app, name="dlq")
app.add_typer(flow_app, name="flow")
app.add_typer(sync_app, name="sync")
app.add_typer(xref_app, name="xref")
app.add_typer(review_app, name="review")
app.add_typer(orders_app, name="orders")
app.add_typer(returns_app, name="returns")
app.command("reconcile")(reconcile_command)
app.command("decisions")(decisions_command)
app.command("trace")(trace_command)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="CRM accounts to seed.", min=1)] = 200,
    products: Annotated[int, typer.Option(help="Products to seed.", min=1)] = 50,
    serve: Annotated[
        bool,
        typer.Option(help="Go live after the walkthrough: runtime, API and traffic until Ctrl-C."),
    ] = True,
    seconds: Annotated[
        float | None, typer.Option(help="Stop the live phase after this many seconds.", min=1)
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start over instead of resuming the last run.")
    ] = False,
) -> None:
    """Run the embedded demo: seeded sandboxes synced, then live flows on one screen."""
    from causeway.demo import run_demo

    run_demo(accounts=accounts, products=products, serve=serve, live_seconds=seconds, fresh=fresh)


schema_app = typer.Typer(help="Canonical object schemas.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("export")
def schema_export(
    folder: Annotated[Path, typer.Argument(help="Where to write the JSON Schemas.")] = Path(
        "schemas"
    ),
) -> None:
    """Write one JSON Schema per canonical object and version, for editors and partners."""
    from causeway.canonical.schemas import export_schemas

    for path in export_schemas(folder):
        typer.echo(str(path))


@app.command()
def validate(
    folder: Annotated[
        Path | None,
        typer.Argument(help="Mapping folder to check (default: the shipped mappings)."),
    ] = None,
) -> None:
    """Check a whole mapping configuration; every problem names file, line and field."""
    from causeway.mapping.loader import shipped_mappings_folder
    from causeway.mapping.validate import validate_configuration

    target = folder or shipped_mappings_folder()
    issues = validate_configuration(target)
    for issue in issues:
        typer.echo(f"{issue.severity}: {issue.describe()}")
    errors = [issue for issue in issues if issue.severity == "error"]
    typer.echo(f"{target}: {len(errors)} errors, {len(issues) - len(errors)} warnings")
    if errors:
        raise typer.Exit(code=1)


@app.command()
def version() -> None:
    """Print the installed version."""
    from causeway import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    from causeway.observe.logging import configure_logging
    from causeway.observe.tracing import TracingConfigError, configure_tracing

    configure_logging()
    try:
        # OTEL_TRACES_EXPORTER (none by default), OTEL_SERVICE_NAME and the other OTEL_*
        # variables choose where spans go (docs/runtime.md, Tracing).
        configure_tracing(service_name="causeway")
    except TracingConfigError as error:
        typer.echo(f"tracing: {error}", err=True)
        raise SystemExit(2) from None
    app()
