"""Change polling: read a page of changes, store it durably and move the cursor, atomically.

The cursor and the change envelopes commit in one transaction. A crash before the commit
re-reads the page (the envelopes' idempotency keys drop the repeats); a crash after it has
lost nothing. A record that later fails to sync is parked on the backbone, never skipped by
a cursor that already moved on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, Engine, and_, select

from causeway.connectors.contract import Connector
from causeway.connectors.errors import ConnectorError
from causeway.observe.tracing import poll_span
from causeway.runtime.backbone import Backbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.store.tables.sync import change_cursor
from causeway.sync.messages import CHANGES_TOPIC, change_envelope

log = structlog.get_logger("causeway.sync")


def load_cursor(connection: Connection, system: str, object_name: str) -> str | None:
    """The stored cursor of a system object, or None to start from the beginning."""
    row = connection.execute(
        select(change_cursor.c.cursor).where(
            and_(change_cursor.c.system == system, change_cursor.c.object_name == object_name)
        )
    ).first()
    return str(row[0]) if row and row[0] else None


def save_cursor(connection: Connection, system: str, object_name: str, cursor: str) -> None:
    """Store the cursor, in the caller's transaction."""
    key = and_(change_cursor.c.system == system, change_cursor.c.object_name == object_name)
    values = {"cursor": cursor, "updated_at": datetime.now(UTC)}
    if connection.execute(change_cursor.update().where(key).values(**values)).rowcount == 0:
        connection.execute(
            change_cursor.insert().values(system=system, object_name=object_name, **values)
        )


@dataclass(frozen=True)
class PollTarget:
    """One system object whose changes feed one canonical entity."""

    connector: Connector
    object_name: str
    entity: str
    page_size: int = 500


class ChangePoller:
    """Polls system objects and publishes their changes to the backbone."""

    def __init__(self, database: Engine, backbone: Backbone, topic: str = CHANGES_TOPIC) -> None:
        self.database = database
        self.backbone = backbone
        self.topic = topic

    async def poll_once(self, target: PollTarget) -> tuple[int, bool]:
        """Move one page; returns (records published, whether more are waiting)."""
        system = target.connector.system
        # The poll opens each change's trace: the envelopes carry this span's context.
        with poll_span(system, target.object_name) as span:
            with self.database.connect() as connection:
                cursor = load_cursor(connection, system, target.object_name)
            page = await target.connector.changes(target.object_name, cursor, target.page_size)
            envelopes = [change_envelope(record, target.entity) for record in page.records]

            def commit() -> None:
                with write_transaction(self.database) as connection:
                    if envelopes:
                        self.backbone.publish(self.topic, envelopes, connection=connection)
                    if page.cursor:
                        save_cursor(connection, system, target.object_name, page.cursor)

            await asyncio.to_thread(commit)
            span.set_attribute("causeway.records", len(envelopes))
            return len(envelopes), page.more

    async def drain(self, target: PollTarget) -> int:
        """Poll until the system has nothing more to hand out; returns how many records."""
        total = 0
        while True:
            published, more = await self.poll_once(target)
            total += published
            if not more:
                return total

    async def run(self, targets: list[PollTarget], interval_s: float, stop: asyncio.Event) -> None:
        """Poll every target in turn until `stop` is set."""
        while not stop.is_set():
            for target in targets:
                try:
                    await self.drain(target)
                except ConnectorError as error:
                    # The cursor has not moved: the next round reads the same changes again.
                    log.warning(
                        "poll.failed",
                        system=target.connector.system,
                        object_name=target.object_name,
                        error_class=error.error_class.value,
                        error=error.describe(),
                    )
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                continue
