"""`causeway orders ...`: run order-to-cash, and work its exception queue.

    causeway orders run -p causeway.yaml            # the host: engine, trigger, milestone feed
    causeway orders exceptions list [--reason credit_block] [--status open] [--json]
    causeway orders retry 12                        # resume one parked instance
    causeway orders retry --reason credit_block     # resume every one parked for a reason
    causeway orders cancel 801...                   # cancel (compensated before delivery)
    causeway orders status 801...                   # where one instance stands
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from causeway.processes.work_queue import Reason, Status, WorkQueue, WorkQueueError
from causeway.store.engine import default_url, make_engine
from causeway.store.schema import upgrade

if TYPE_CHECKING:
    from causeway.processes.engine import ProcessEngine

console = Console()
app = typer.Typer(help="Order-to-cash: the process host and its exception queue.",
                  no_args_is_help=True)
exceptions_app = typer.Typer(help="Process exceptions waiting for an operator.",
                             no_args_is_help=True)
app.add_typer(exceptions_app, name="exceptions")

UrlOption = Annotated[
    str | None,
    typer.Option(help="Database URL (default: $CAUSEWAY_DATABASE_URL or var/causeway.sqlite)."),
]


def _queue(url: str | None) -> tuple[WorkQueue, str]:
    database_url = url or default_url()
    engine = make_engine(database_url)
    upgrade(engine)
    return WorkQueue(engine), database_url


@exceptions_app.command("list")
def list_command(
    url: UrlOption = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
    status: Annotated[str | None, typer.Option(help="open, retrying or resolved.")] = "open",
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List process exceptions with their reason and business keys."""
    if reason is not None and reason not in {item.value for item in Reason}:
        known = ", ".join(item.value for item in Reason)
        raise typer.BadParameter(
            f"unknown reason {reason!r}; known: {known}", param_hint="--reason"
        )
    if status is not None and status not in {item.value for item in Status}:
        raise typer.BadParameter(f"unknown status {status!r}", param_hint="--status")
    queue, _ = _queue(url)
    rows = queue.find(status=status, reason=reason)
    if as_json:
        for row in rows:
            typer.echo(json.dumps({**row.__dict__, "created_at": row.created_at.isoformat(),
                                   "updated_at": row.updated_at.isoformat()}))
        return
    table = Table("id", "reason", "status", "tries", "CRM order", "ERP document", "step",
                  "message")
    for row in rows:
        table.add_row(str(row.id), row.reason, row.status, str(row.attempts),
                      f"{row.crm_order_number or ''} {row.crm_order_id or ''}".strip(),
                      row.erp_document or "", row.step, row.message)
    console.print(table)
    console.print(f"{len(rows)} exception(s)")


@app.command("retry")
def retry_command(
    exception_id: Annotated[int | None, typer.Argument(help="The exception to retry.")] = None,
    reason: Annotated[str | None, typer.Option(help="Retry every open one of this reason.")] = None,
    url: UrlOption = None,
) -> None:
    """Resume parked instances where they stopped, once the cause is fixed."""
    from causeway.processes.operations import retry_exception, retry_reason

    if (exception_id is None) == (reason is None):
        raise typer.BadParameter("give either an exception id or --reason")
    queue, database_url = _queue(url)
    try:
        if exception_id is not None:
            retried = [retry_exception(queue, database_url, exception_id)]
        else:
            if reason not in {item.value for item in Reason}:
                raise typer.BadParameter(f"unknown reason {reason!r}", param_hint="--reason")
            retried = retry_reason(queue, database_url, str(reason))
    except WorkQueueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=1) from None
    for row in retried:
        typer.echo(f"retrying {row.id}: {row.reason} {row.instance_id}")
    typer.echo(f"{len(retried)} retried")


@app.command("cancel")
def cancel_command(
    order_id: Annotated[str, typer.Argument(help="The CRM order id.")], url: UrlOption = None
) -> None:
    """Cancel an order's process: before delivery its ERP order is deleted."""
    from causeway.processes.operations import cancel_order

    cancel_order(url or default_url(), order_id)
    typer.echo(f"cancellation sent to order_to_cash:{order_id}")


@app.command("status")
def status_command(
    order_id: Annotated[str, typer.Argument(help="The CRM order id.")], url: UrlOption = None
) -> None:
    """Where one order's instance stands, with its open exceptions."""
    from dbos import DBOSClient

    from causeway.processes.engine import system_database_url

    database_url = url or default_url()
    client = DBOSClient(system_database_url=system_database_url(database_url))
    try:
        found = client.list_workflows(workflow_ids=[f"order_to_cash:{order_id}"])
    finally:
        client.destroy()
    if not found:
        typer.echo(f"no instance for order {order_id}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"order_to_cash:{order_id}: {found[0].status} {found[0].output or ''}")
    queue, _ = _queue(url)
    for row in queue.find(status=None, instance_id=f"order_to_cash:{order_id}"):
        typer.echo(f"  exception {row.id}: {row.reason} {row.status} - {row.message}")


@app.command("run")
def run_command(
    project: Annotated[Path, typer.Option("--project", "-p", help="The project file.")],
    settings: Annotated[
        Path | None, typer.Option(help="Order-to-cash settings (YAML, see docs/processes.md).")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Host order-to-cash until interrupted: the engine, the CRM trigger, the ERP feed."""
    from causeway.connectors.s4hana.client import S4Settings
    from causeway.connectors.salesforce.client import SalesforceSettings
    from causeway.processes.order_service import host
    from causeway.processes.order_systems import OrderSettings, OrderSystems
    from causeway.project import ProjectError, load_project

    try:
        loaded = load_project(project)
        salesforce = loaded.config.systems["salesforce"].settings()
        s4 = loaded.config.systems["s4hana"].settings()
    except (ProjectError, KeyError) as error:
        raise typer.BadParameter(f"{project}: {error}", param_hint="--project") from None
    values: dict[str, Any] = yaml.safe_load(settings.read_text()) if settings else {}
    database_url = url or loaded.config.database or default_url()
    database = make_engine(database_url)
    upgrade(database)
    systems = OrderSystems(
        database, SalesforceSettings.model_validate(salesforce), S4Settings.model_validate(s4),
        OrderSettings.model_validate(values or {}),
    )
    service, engine = host(systems, database_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo("order-to-cash running; Ctrl-C stops")
    try:
        service.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        _close(engine, systems)


def _close(engine: ProcessEngine, systems: Any) -> None:
    engine.shutdown()
    systems.close()
    # Waiting instances block their threads until their wait's deadline (days); everything
    # they did is checkpointed, so the host leaves as a crash would and they resume at the
    # next start.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
