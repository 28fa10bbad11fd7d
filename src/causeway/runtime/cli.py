"""`causeway dlq ...`: see, fix and replay what the runtime parked."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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


@app.command("list")
def list_command(
    topic: Annotated[str | None, typer.Option(help="Only this topic.")] = None,
    status: Annotated[str, typer.Option(help="parked, replayed or discarded.")] = "parked",
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    url: UrlOption = None,
) -> None:
    """Dead letters, oldest first, with the record and field that failed."""
    table = Table(title=f"dead letters ({status})")
    for column in ("id", "topic", "record", "field", "class", "attempts", "reason"):
        table.add_column(column)
    for letter in _backbone(url).dead_letters(topic=topic, status=status, limit=limit):
        table.add_row(
            str(letter.id),
            letter.topic,
            letter.record or letter.partition_key,
            letter.field or "",
            letter.error_class,
            str(letter.attempts),
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


@app.command("replay")
def replay_command(dead_letter_ids: list[int], url: UrlOption = None) -> None:
    """Put dead letters back on their topic, after everything their entity already queued."""
    backbone = _backbone(url)
    for dead_letter_id in dead_letter_ids:
        envelope_id = backbone.replay_dead_letter(dead_letter_id)
        typer.echo(f"dead letter {dead_letter_id}: replayed as {envelope_id}")


@app.command("discard")
def discard_command(dead_letter_ids: list[int], url: UrlOption = None) -> None:
    """Close dead letters without replaying them."""
    backbone = _backbone(url)
    for dead_letter_id in dead_letter_ids:
        backbone.discard_dead_letter(dead_letter_id)
        typer.echo(f"dead letter {dead_letter_id}: discarded")
