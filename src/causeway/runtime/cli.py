"""`causeway dlq ...` and `causeway flow ...`: see, fix and replay what the runtime parked;
pause and resume flows."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from causeway.connectors.errors import ErrorClass
from causeway.runtime import dead_letters
from causeway.runtime.backbone import DEAD_LETTER_STATUSES, DeadLetterQuery
from causeway.runtime.backends.factory import open_backbone
from causeway.runtime.backends.jetstream import JetStreamBackbone
from causeway.runtime.backends.rabbitmq import RabbitMQBackbone
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import default_url, make_engine

app = typer.Typer(help="Dead letters: list, show, edit, replay, discard.", no_args_is_help=True)
console = Console()

UrlOption = Annotated[
    str | None,
    typer.Option(help="Database URL (default: $CAUSEWAY_DATABASE_URL or var/causeway.sqlite)."),
]


def _backbone(
    url: str | None,
) -> SqlBackbone | JetStreamBackbone | RedisBackbone | RabbitMQBackbone:
    # Replays must go through the backend the workers run on ($CAUSEWAY_BACKBONE).
    return open_backbone(make_engine(url or default_url()))


FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]
TopicOption = Annotated[str | None, typer.Option(help="Only this topic.")]
GroupOption = Annotated[str | None, typer.Option(help="Only this consumer group.")]
SystemOption = Annotated[
    str | None, typer.Option(help="Only records from or for this system (e.g. s4hana).")
]
ObjectOption = Annotated[
    str | None, typer.Option("--object", help="Only this object (e.g. A_BusinessPartner).")
]
ErrorClassOption = Annotated[
    str | None,
    typer.Option(help="Only this error class: retryable, throttled, conflict, invalid, fatal."),
]
SinceOption = Annotated[
    datetime | None, typer.Option(formats=FORMATS, help="Parked at or after (UTC if no offset).")
]
UntilOption = Annotated[
    datetime | None, typer.Option(formats=FORMATS, help="Parked before (UTC if no offset).")
]


def _query(
    topic: str | None,
    group: str | None,
    system: str | None,
    object_name: str | None,
    error_class: str | None,
    since: datetime | None,
    until: datetime | None,
    **rest: Any,
) -> DeadLetterQuery:
    known = [str(kind) for kind in ErrorClass]
    if error_class is not None and error_class not in known:
        raise typer.BadParameter(f"one of {', '.join(known)}", param_hint="--error-class")
    status = rest.get("status", "parked")
    if status not in DEAD_LETTER_STATUSES:
        raise typer.BadParameter(
            f"one of {', '.join(DEAD_LETTER_STATUSES)}", param_hint="--status"
        )
    return DeadLetterQuery(
        topic=topic,
        group=group,
        system=system,
        object_name=object_name,
        error_class=error_class,
        since=since,
        until=until,
        **rest,
    )


@app.command("list")
def list_command(
    topic: TopicOption = None,
    group: GroupOption = None,
    system: SystemOption = None,
    object_name: ObjectOption = None,
    error_class: ErrorClassOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    status: Annotated[str, typer.Option(help="parked, replayed or discarded.")] = "parked",
    after: Annotated[int, typer.Option(help="Only ids above this one (the next page).")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    url: UrlOption = None,
) -> None:
    """Dead letters, oldest first, with the record and field that failed."""
    query = _query(
        topic, group, system, object_name, error_class, since, until,
        status=status, after_id=after, limit=limit,
    )
    table = Table(title=f"dead letters ({status})")
    for column in ("id", "topic", "record", "field", "class", "attempts", "parked", "reason"):
        table.add_column(column)
    for letter in dead_letters.find(_backbone(url), query):
        table.add_row(
            str(letter.id),
            letter.topic,
            letter.record or letter.partition_key,
            letter.field or "",
            letter.error_class,
            str(letter.attempts),
            letter.last_seen.strftime("%Y-%m-%d %H:%M:%S"),
            letter.reason[:120],
        )
    console.print(table)


@app.command("show")
def show_command(dead_letter_id: int, url: UrlOption = None) -> None:
    """One dead letter, with its payload, as JSON."""
    letter = _backbone(url).dead_letter(dead_letter_id)
    typer.echo(json.dumps(asdict(letter), default=str, indent=2))


@app.command("edit")
def edit_command(
    dead_letter_id: int,
    payload: Annotated[Path, typer.Argument(help="JSON file with the fixed payload.")],
    url: UrlOption = None,
) -> None:
    """Replace the payload a replay will deliver (fix the data, then replay)."""
    fixed = json.loads(payload.read_text(encoding="utf-8"))
    if not isinstance(fixed, dict):
        raise typer.BadParameter("the payload must be a JSON object", param_hint="payload")
    _backbone(url).edit_dead_letter(dead_letter_id, fixed)
    typer.echo(f"dead letter {dead_letter_id}: payload replaced")


def _chosen(
    dead_letter_ids: list[int] | None, query: DeadLetterQuery, every: bool, verb: str
) -> list[int] | None:
    """The ids named, or None to act by filter; refuses an unfiltered bulk action."""
    if dead_letter_ids:
        if query.narrows() or every:
            raise typer.BadParameter(f"{verb} either ids or a filter, not both")
        return dead_letter_ids
    if not query.narrows() and not every:
        raise typer.BadParameter(
            f"name dead letter ids, or a filter (--topic, --system, --object, --error-class, "
            f"--since, ...), or --all to {verb} every parked dead letter"
        )
    return None


IdsArgument = Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")]
AllOption = Annotated[bool, typer.Option("--all", help="Every parked dead letter.")]


@app.command("replay")
def replay_command(
    dead_letter_ids: IdsArgument = None,
    topic: TopicOption = None,
    group: GroupOption = None,
    system: SystemOption = None,
    object_name: ObjectOption = None,
    error_class: ErrorClassOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    every: AllOption = False,
    url: UrlOption = None,
) -> None:
    """Put dead letters back on their topic, after everything their entity already queued:
    by id, or every parked one a filter matches (bulk)."""
    backbone = _backbone(url)
    query = _query(topic, group, system, object_name, error_class, since, until)
    ids = _chosen(dead_letter_ids, query, every, "replay")
    if ids is None:
        replayed = dead_letters.replay_matching(backbone, query)
    else:
        replayed = [(letter_id, backbone.replay_dead_letter(letter_id)) for letter_id in ids]
    for letter_id, envelope_id in replayed:
        typer.echo(f"dead letter {letter_id}: replayed as {envelope_id}")
    typer.echo(f"{len(replayed)} replayed")


@app.command("discard")
def discard_command(
    dead_letter_ids: IdsArgument = None,
    topic: TopicOption = None,
    group: GroupOption = None,
    system: SystemOption = None,
    object_name: ObjectOption = None,
    error_class: ErrorClassOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    every: AllOption = False,
    url: UrlOption = None,
) -> None:
    """Close dead letters without replaying them: by id, or every parked one a filter matches."""
    backbone = _backbone(url)
    query = _query(topic, group, system, object_name, error_class, since, until)
    ids = _chosen(dead_letter_ids, query, every, "discard")
    if ids is None:
        ids = dead_letters.discard_matching(backbone, query)
    else:
        for letter_id in ids:
            backbone.discard_dead_letter(letter_id)
    for letter_id in ids:
        typer.echo(f"dead letter {letter_id}: discarded")
    typer.echo(f"{len(ids)} discarded")


flow_app = typer.Typer(help="Flows: backlog, dead letters, pause and resume.", no_args_is_help=True)


@flow_app.command("list")
def flow_list_command(url: UrlOption = None) -> None:
    """Every flow (topic and consumer group) with its backlog, lag and dead letters."""
    table = Table(title="flows")
    for column in ("topic", "group", "state", "ready", "in flight", "later", "parked", "lag s"):
        table.add_column(column)
    for flow in dead_letters.flows(_backbone(url)):
        state = f"paused: {flow.pause_reason}" if flow.paused else "running"
        table.add_row(
            flow.topic, flow.group, state, str(flow.ready), str(flow.in_flight),
            str(flow.scheduled), str(flow.parked), f"{flow.lag_seconds:.1f}",
        )
    console.print(table)


@flow_app.command("pause")
def flow_pause_command(
    topic: str,
    group: str,
    reason: Annotated[
        str, typer.Option(help="Why, for the other operators.")
    ] = "paused by an operator",
    url: UrlOption = None,
) -> None:
    """Stop handing out the flow's envelopes (in-flight batches finish); nothing is lost."""
    _backbone(url).pause(topic, group, reason)
    typer.echo(f"{topic} / {group}: paused ({reason})")


@flow_app.command("resume")
def flow_resume_command(topic: str, group: str, url: UrlOption = None) -> None:
    """Hand out the flow's envelopes again, in order, from where it stopped."""
    _backbone(url).resume(topic, group)
    typer.echo(f"{topic} / {group}: resumed")
