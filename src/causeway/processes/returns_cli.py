"""`causeway returns ...`: run the returns pollers and instances, list and retry waiting ones."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.project import Project, ProjectError, load_project
from causeway.store.engine import default_url, make_engine
from causeway.store.schema import upgrade

app = typer.Typer(help="Service to resolution: CRM return Cases to ERP returns and credits.",
                  no_args_is_help=True)

ProjectOption = Annotated[Path | None, typer.Option("--project", "-p", help="The project file.")]
UrlOption = Annotated[
    str | None,
    typer.Option(help="Database URL (default: the project's, $CAUSEWAY_DATABASE_URL, or var/)."),
]


def _database(project: Project | None, url: str | None) -> tuple[str, Engine]:
    chosen = url or (project.config.database if project else None) or default_url()
    database = make_engine(chosen)
    upgrade(database)
    return chosen, database


def _system_settings(project: Project, name: str, kind: str) -> dict[str, object]:
    system = project.config.systems.get(name)
    if system is None or system.type != kind:
        raise ProjectError(f"systems.{name}: a {kind} system is needed for returns")
    return system.settings()


@app.command("run")
def run_command(
    project_file: Annotated[Path, typer.Option("--project", "-p", help="The project file.")],
    url: UrlOption = None,
    crm: Annotated[str, typer.Option(help="The CRM system's name in the project.")] = "salesforce",
    erp: Annotated[str, typer.Option(help="The ERP system's name in the project.")] = "s4hana",
    once: Annotated[bool, typer.Option("--once", help="Poll one round, then stop.")] = False,
) -> None:
    """Start an instance per return Case and follow each ERP return until Ctrl-C."""
    from causeway.processes import returns as _definitions  # noqa: F401 - registers the process
    from causeway.processes.engine import ProcessEngine
    from causeway.processes.returns_poller import ReturnsPoller
    from causeway.processes.returns_systems import ReturnSettings, ReturnSystems, install

    project = load_project(project_file)
    chosen, database = _database(project, url)
    systems = ReturnSystems(
        database,
        SalesforceSettings.model_validate(_system_settings(project, crm, "salesforce")),
        S4Settings.model_validate(_system_settings(project, erp, "s4hana")),
        ReturnSettings(crm_system=crm, erp_system=erp),
    )
    install(systems)
    engine = ProcessEngine(chosen)
    engine.launch()
    stop = threading.Event()
    try:
        poller = ReturnsPoller(engine, systems)
        if once:
            cases, signalled = poller.poll_once()
            typer.echo(f"return cases seen: {cases}, instances signalled: {signalled}")
            return
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo("returns: polling the CRM and the ERP (Ctrl-C stops)")
        try:
            poller.run(stop)
        except KeyboardInterrupt:
            stop.set()
    finally:
        engine.shutdown()
        install(None)
        systems.close()
        database.dispose()


@app.command("waiting")
def waiting_command(project_file: ProjectOption = None, url: UrlOption = None) -> None:
    """Returns waiting for a person, with the reason each gave."""
    from causeway.processes.returns_poller import waiting_returns

    project = load_project(project_file) if project_file else None
    _, database = _database(project, url)
    try:
        waiting = waiting_returns(database)
    finally:
        database.dispose()
    table = Table("case", "instance", "since", "reason", title="Returns needing attention")
    for entry in waiting:
        table.add_row(entry.case_number or "", entry.instance_id,
                      entry.since.isoformat(timespec="seconds"), entry.reason)
    Console().print(table)
    typer.echo(f"{len(waiting)} waiting")


@app.command("retry")
def retry_command(
    number: Annotated[str, typer.Argument(help="The case number, Case id or ERP return.")],
    project_file: ProjectOption = None,
    url: UrlOption = None,
) -> None:
    """Wake a waiting return so it checks its Case again, after the Case was fixed."""
    from causeway.observe.activity import ActivityLog
    from causeway.processes.engine import instance_id, send_from_outside
    from causeway.processes.returns import PROCESS, RETRY_TOPIC
    from causeway.processes.returns_poller import case_id_for

    project = load_project(project_file) if project_file else None
    chosen, database = _database(project, url)
    try:
        case_id = case_id_for(database, number)
        if case_id is None:
            typer.echo(f"no return is known by {number!r}", err=True)
            raise typer.Exit(1)
        # Sent without hosting the engine here: hosting it would also resume every other
        # instance in this short-lived command.
        send_from_outside(chosen, PROCESS, case_id, RETRY_TOPIC, "operator")
        ActivityLog(database).milestone(PROCESS, instance_id(PROCESS, case_id),
                                        "retry requested", "done", detail="by an operator")
    finally:
        database.dispose()
    typer.echo(f"return of Case {case_id} will check its Case again")
