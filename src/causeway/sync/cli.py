"""`causeway sync|reconcile|xref|review|decisions`: run the sync and answer for what it did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from causeway.connectors.contract import Connector
from causeway.mapping.loader import shipped_mappings
from causeway.observe.metrics_endpoint import refresh_gauges, serve_metrics
from causeway.project import Project, ProjectError, load_project
from causeway.runtime.backends.factory import RuntimeSettings, close_backbone, open_backbone
from causeway.runtime.envelope import Envelope
from causeway.store.engine import default_url, make_engine
from causeway.store.schema import upgrade
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.decisions import DecisionLog
from causeway.sync.engine import ChangeOutcome, EntityRoute, SyncEngine
from causeway.sync.initial_load import initial_match, link_by_key
from causeway.sync.messages import command_envelope, commands_topic
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import ReconciliationReport, reconcile
from causeway.sync.review import MatchReviews
from causeway.sync.xref import Xref

console = Console()

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="The project file (systems, database, sync).")
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        help="Database URL (default: the project's, $CAUSEWAY_DATABASE_URL, or "
        "var/causeway.sqlite)."
    ),
]

sync_app = typer.Typer(help="Run the master-data sync.", no_args_is_help=True)
xref_app = typer.Typer(help="The cross-reference of ids.", no_args_is_help=True)
review_app = typer.Typer(
    help="Match pairs and field values waiting for an operator.", no_args_is_help=True
)


def _project(path: Path) -> Project:
    try:
        return load_project(path)
    except ProjectError as error:
        raise typer.BadParameter(str(error), param_hint="--project") from None


def _database(url: str | None, project: Project | None = None) -> Engine:
    chosen = url or (project.config.database if project else None) or default_url()
    engine = make_engine(chosen)
    upgrade(engine)
    return engine


async def _close(connectors: Sequence[Connector]) -> None:
    for connector in connectors:
        await connector.aclose()


@sync_app.command("run")
def run_command(
    project_file: ProjectOption,
    until_quiet: Annotated[
        bool, typer.Option(help="Stop once both sides are in step (initial loads, cron).")
    ] = False,
    match_first: Annotated[
        bool, typer.Option(help="Match existing customers across systems before syncing.")
    ] = False,
    url: UrlOption = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="CAUSEWAY_METRICS_PORT",
            help="Serve Prometheus metrics at http://HOST:PORT/metrics (off unless given).",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(envvar="CAUSEWAY_METRICS_HOST", help="Address for the metrics page.")
    ] = "127.0.0.1",
) -> None:
    """Sync the configured entities between the project's systems (Ctrl-C stops)."""
    project = _project(project_file)
    database = _database(url, project)
    routes = build_routes(project.sync_config(), project.catalog())
    connectors = project.connectors()
    backbone = open_backbone(database, project.runtime())

    async def run() -> int:
        try:
            if match_first:
                await _match_existing(database, project, routes, connectors)
            pipeline = SyncPipeline(
                database, routes, connectors, PipelineSettings(), backbone=backbone
            )
            if until_quiet:
                read = await pipeline.run_until_quiet(timeout_s=24 * 3600)
                console.print(
                    f"in step: {read} changes read, {pipeline.written()} writes, "
                    f"{pipeline.parked()} parked (causeway dlq list)"
                )
                return 1 if pipeline.parked() else 0
            stop = asyncio.Event()
            gauges = None
            if metrics_port is not None:
                serve_metrics(metrics_host, metrics_port)
                gauges = asyncio.create_task(refresh_gauges(backbone, stop))
            try:
                await pipeline.run(stop)
            except asyncio.CancelledError:
                stop.set()
            finally:
                stop.set()
                if gauges is not None:
                    await gauges
            return 0
        finally:
            await _close(list(connectors.values()))

    try:
        code = asyncio.run(run())
    except KeyboardInterrupt:
        code = 0
    finally:
        close_backbone(backbone)
    raise typer.Exit(code)


async def _match_existing(
    database: Engine,
    project: Project,
    routes: Mapping[str, EntityRoute],
    connectors: Mapping[str, Connector],
) -> None:
    """Link what both systems already hold before the first sync, so nothing is created twice.

    Customers are matched on tax id, name, address and phone (doubtful pairs go to review);
    other entities are linked on their configured `match_key` (a product's SKU).
    """
    for entity, spec in project.sync_config().entities.items():
        left, right = routes[entity].endpoints[:2]
        sides = (
            (connectors[left.system], left.mapping),
            (connectors[right.system], right.mapping),
        )
        if entity == "customer":
            report = await initial_match(database, *sides)
        elif spec.match_key is not None:
            report = await link_by_key(database, entity, *sides, spec.match_key)
        else:
            continue
        console.print(f"{entity}: {report.summary()}")


def reconcile_command(
    entity: Annotated[str, typer.Argument(help="customer, contact or product (plurals work).")],
    project_file: ProjectOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    examples: Annotated[int, typer.Option(min=0, help="Examples listed per finding.")] = 5,
    url: UrlOption = None,
) -> None:
    """Compare both systems record by record; exit 1 unless they agree."""
    project = _project(project_file)
    database = _database(url, project)
    name = entity.removesuffix("s")
    sync_config = project.sync_config()
    routes = build_routes(sync_config, project.catalog())
    if name not in routes:
        raise typer.BadParameter(
            f"{entity!r} is not synced; synced: {', '.join(sorted(routes))}", param_hint="ENTITY"
        )
    left, right = routes[name].endpoints[:2]
    connectors = {
        left.system: project.connector(left.system),
        right.system: project.connector(right.system),
    }

    async def run() -> ReconciliationReport:
        try:
            return await reconcile(
                database,
                name,
                (connectors[left.system], left.mapping),
                (connectors[right.system], right.mapping),
                ignore=frozenset(sync_config.entities[name].compare_ignore),
            )
        finally:
            await _close(list(connectors.values()))

    report = asyncio.run(run())
    document = report_document(report, examples)
    if as_json:
        typer.echo(json.dumps(document, indent=2, default=str))
    else:
        _print_report(document)
    raise typer.Exit(0 if report.clean else 1)


def report_document(report: ReconciliationReport, examples: int) -> dict[str, Any]:
    """The report's counts and the first few examples of each finding."""
    return {
        "summary": report.summary(),
        "compared_fields": list(report.compared_fields),
        "examples": {
            "differing": [asdict(pair) for pair in report.differing[:examples]],
            "only_left": report.only_left[:examples],
            "only_right": report.only_right[:examples],
            "dangling": report.dangling[:examples],
            "unreadable": report.unreadable[:examples],
            "duplicates_left": report.duplicates_left[:examples],
            "duplicates_right": report.duplicates_right[:examples],
        },
    }


def _print_report(document: dict[str, Any]) -> None:
    summary = document["summary"]
    table = Table(title=f"{summary['entity']}: {summary['systems']}")
    table.add_column("finding")
    table.add_column("count", justify="right")
    table.add_column("examples")
    found = document["examples"]
    rows = (
        ("records left", "left_records", None),
        ("records right", "right_records", None),
        ("pairs agreeing", "agreeing_pairs", None),
        ("pairs differing (drift)", "differing_pairs", "differing"),
        ("only left (missing right)", "only_left", "only_left"),
        ("only right (missing left)", "only_right", "only_right"),
        ("links to vanished records", "dangling_links", "dangling"),
        ("unreadable records", "unreadable", "unreadable"),
        ("duplicate groups left", "duplicates_left", "duplicates_left"),
        ("duplicate groups right", "duplicates_right", "duplicates_right"),
        ("retired (deleted or merged)", "retired", None),
    )
    for label, key, example_key in rows:
        shown = ""
        if example_key and found[example_key]:
            shown = "; ".join(_example(item) for item in found[example_key])[:200]
        table.add_row(label, str(summary[key]), shown)
    console.print(table)
    console.print("clean" if summary["clean"] else "NOT clean: see the findings above")


def _example(item: Any) -> str:
    if isinstance(item, dict):
        fields = ", ".join(f["field"] for f in item["fields"])
        return f"{item['left_id']}/{item['right_id']}: {fields}"
    if isinstance(item, list):
        return "=".join(item)
    return str(item)


@xref_app.command("show")
def xref_show(
    entity: Annotated[str, typer.Argument(help="customer, contact, product, ...")],
    key: Annotated[str, typer.Argument(help="A canonical id, or a system's id with --system.")],
    system: Annotated[str | None, typer.Option(help="The system whose id KEY is.")] = None,
    url: UrlOption = None,
) -> None:
    """Every system's id of one object, and its golden state."""
    database = _database(url)
    with database.connect() as connection:
        xref = Xref(connection)
        canonical_id = xref.canonical_id(entity, system, key) if system else key
        links = xref.links(entity, canonical_id) if canonical_id else {}
    if canonical_id is None or not links:
        typer.echo(f"no {entity} {key}" + (f" in {system}" if system else ""), err=True)
        raise typer.Exit(1)
    typer.echo(
        json.dumps({"entity": entity, "canonical_id": canonical_id, "links": links}, indent=2)
    )


@review_app.command("list")
def review_list(
    entity: Annotated[str | None, typer.Option()] = None, url: UrlOption = None
) -> None:
    """Open reviews: match pairs (M<id>) and held field values (F<id>)."""
    database = _database(url)
    table = Table(title="open reviews")
    for column in ("id", "entity", "what", "proposed", "current / score"):
        table.add_column(column)
    with database.connect() as connection:
        for pair in MatchReviews(connection).open(entity):
            table.add_row(
                f"M{pair.id}",
                pair.entity,
                f"{pair.left_system} {pair.left_id} = {pair.right_system} {pair.right_id}",
                ", ".join(pair.reasons),
                f"{pair.score:.1f}",
            )
        for held in DecisionLog(connection).reviews(entity):
            table.add_row(
                f"F{held.id}",
                held.entity,
                f"{held.canonical_id} {held.field} from {held.system}",
                json.dumps(held.proposed),
                json.dumps(held.current),
            )
    console.print(table)


OptionalProject = Annotated[
    Path | None,
    typer.Option("--project", "-p", help="The project file (default: the shipped sync)."),
]


def _decide(review: str, accept: bool, url: str | None, project_file: Path | None) -> None:
    kind, number = review[:1].upper(), review[1:]
    if kind not in ("M", "F") or not number.isdigit():
        raise typer.BadParameter(
            "give a review id as listed: M<number> or F<number>", param_hint="REVIEW"
        )
    database = _database(url)
    try:
        with database.begin() as connection:
            if kind == "M":
                MatchReviews(connection).decide(int(number), accept)
                typer.echo(
                    f"{review}: {'linked' if accept else 'kept apart'}; replay the parked "
                    "changes of both records (causeway dlq list, causeway dlq replay)"
                )
                return
            engine = _engine_for(project_file)
            outcome = engine.resolve_review(connection, int(number), accept)
            runtime = _project(project_file).runtime() if project_file else None
            _publish(database, connection, outcome, review, runtime)
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="REVIEW") from None
    typer.echo(
        f"{review}: {'accepted' if accept else 'rejected'}; {len(outcome.commands)} write(s) queued"
    )


def _engine_for(project_file: Path | None) -> SyncEngine:
    # A field review needs the golden record and the mappings of its systems: the project's
    # routes when a project is given, else the shipped configuration's.
    if project_file is not None:
        project = _project(project_file)
        return SyncEngine(build_routes(project.sync_config(), project.catalog()))
    return SyncEngine(build_routes(default_sync_config(), shipped_mappings()))


def _publish(
    database: Engine,
    connection: Any,
    outcome: ChangeOutcome,
    reason: str,
    runtime: RuntimeSettings | None,
) -> None:
    """Queue the writes an operator's decision calls for, in the decision's transaction."""
    if not outcome.commands:
        return
    cause = Envelope(
        kind="event",
        source="causeway",
        entity=outcome.commands[0].entity,
        key=outcome.canonical_id,
        payload={"review": reason},
    )
    backbone = open_backbone(database, runtime)
    try:
        for command in outcome.commands:
            backbone.publish(
                commands_topic(command.system),
                [command_envelope(command, cause)],
                connection=connection,
            )
    finally:
        close_backbone(backbone)  # a broker relay forwards them once the decision commits


@review_app.command("accept")
def review_accept(review: str, url: UrlOption = None, project_file: OptionalProject = None) -> None:
    """Accept a match pair (link the records) or a held value (it becomes the golden value)."""
    _decide(review, True, url, project_file)


@review_app.command("reject")
def review_reject(review: str, url: UrlOption = None, project_file: OptionalProject = None) -> None:
    """Reject a match pair (different records) or a held value (the golden value stands)."""
    _decide(review, False, url, project_file)


def decisions_command(
    entity: Annotated[str, typer.Argument()],
    canonical_id: Annotated[str, typer.Argument()],
    url: UrlOption = None,
) -> None:
    """Why an object's fields hold their values: every contest and how it was settled."""
    database = _database(url)
    with database.connect() as connection:
        history = DecisionLog(connection).history(entity, canonical_id)
    table = Table(title=f"decisions for {entity} {canonical_id}")
    for column in ("when", "field", "from", "rule", "outcome", "incoming", "kept"):
        table.add_column(column)
    for entry in history:
        table.add_row(
            entry.decided_at.isoformat(timespec="seconds"),
            entry.field,
            entry.system,
            entry.rule,
            entry.outcome,
            json.dumps(entry.incoming, default=str)[:60],
            json.dumps(entry.kept, default=str)[:60],
        )
    console.print(table)
