"""`causeway trace <number>`: an order's timeline from any number someone holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from causeway.observe.activity import ActivityLog, Timeline
from causeway.project import load_project
from causeway.store.engine import default_url, make_engine
from causeway.store.schema import upgrade


def trace_command(
    number: Annotated[
        str,
        typer.Argument(help="A CRM order id or number, an ERP document number, or an instance id."),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            help="Database URL (default: the project's, $CAUSEWAY_DATABASE_URL, or var/)."
        ),
    ] = None,
    project_file: Annotated[
        Path | None, typer.Option("--project", "-p", help="The project file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every step and system call of the process instances known by NUMBER."""
    project = load_project(project_file) if project_file else None
    chosen = url or (project.config.database if project else None) or default_url()
    database = make_engine(chosen)
    try:
        upgrade(database)
        timelines = ActivityLog(database).find(number)
    finally:
        database.dispose()
    console = Console()
    if not timelines:
        console.print(f"[yellow]no process instance is known by {number!r}[/yellow]")
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([timeline_document(t) for t in timelines], indent=2, default=str))
        return
    for timeline in timelines:
        console.print(timeline_table(timeline))


def timeline_document(timeline: Timeline) -> dict[str, object]:
    """A timeline as plain JSON-ready data (the API answers the same shape)."""
    return {
        "instance_id": timeline.instance_id,
        "process": timeline.process,
        "status": timeline.status,
        "keys": timeline.keys,
        "events": [
            {
                "id": event.id,
                "parent_id": event.parent_id,
                "kind": event.kind,
                "name": event.name,
                "system": event.system,
                "status": event.status,
                "started_at": event.started_at.isoformat(),
                "duration_ms": round(event.duration_ms, 1),
                "trace_id": event.trace_id,
                "detail": event.detail,
            }
            for event in timeline.events
        ],
    }


def timeline_table(timeline: Timeline) -> Table:
    """One instance as a Rich table: steps, the calls inside them indented, milestones."""
    keys = ", ".join(f"{kind} {'/'.join(values)}" for kind, values in timeline.keys.items())
    table = Table(
        title=f"{timeline.process} {timeline.instance_id}: {timeline.status}",
        caption=keys or None,
    )
    for column in ("when", "step / call", "system", "status", "ms", "trace"):
        table.add_column(column, justify="right" if column == "ms" else "left")
    for event in timeline.events:
        name = f"  ↳ {event.name}" if event.kind == "call" else event.name
        if event.kind == "milestone":
            name = f"◆ {event.name}"
        status = event.status if event.detail is None else f"{event.status}: {event.detail[:80]}"
        table.add_row(
            event.started_at.strftime("%H:%M:%S.%f")[:-3],
            name,
            event.system or "",
            status,
            f"{event.duration_ms:.1f}",
            (event.trace_id or "")[:16],
        )
    return table
