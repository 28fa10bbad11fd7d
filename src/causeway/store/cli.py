"""`causeway db ...`: bring the database to the schema this version needs."""

from __future__ import annotations

from typing import Annotated

import typer

from causeway.store.engine import default_url, make_engine
from causeway.store.schema import current_revision, head_revision, upgrade

app = typer.Typer(help="The database: SQLite by default, PostgreSQL by URL.", no_args_is_help=True)

UrlOption = Annotated[
    str | None,
    typer.Option(help="Database URL (default: $CAUSEWAY_DATABASE_URL or var/causeway.sqlite)."),
]


@app.command("upgrade")
def upgrade_command(url: UrlOption = None) -> None:
    """Apply every pending migration."""
    engine = make_engine(url or default_url())
    try:
        before = current_revision(engine)
        upgrade(engine)
        typer.echo(
            f"{engine.url.render_as_string(hide_password=True)}: {before} -> "
            f"{current_revision(engine)}"
        )
    finally:
        engine.dispose()


@app.command("status")
def status_command(url: UrlOption = None) -> None:
    """Show the database's revision and the newest one this version ships."""
    engine = make_engine(url or default_url())
    try:
        typer.echo(f"current: {current_revision(engine)}  head: {head_revision()}")
    finally:
        engine.dispose()
