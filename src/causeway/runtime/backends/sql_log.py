"""Rows of the envelope log: envelopes in and out, and the fan-out to subscribed groups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, bindparam, insert, select

from causeway.runtime.backends.sql_dialect import as_utc, insert_for, is_sqlite
from causeway.runtime.envelope import Envelope, Headers
from causeway.store.tables.runtime import delivery, envelope, subscription

READY = "ready"
# Built once (per dialect): every publish runs these, and building a statement cost more
# than running it.
_APPENDS: dict[bool, Any] = {}
_GROUPS = select(subscription.c.consumer_group).where(subscription.c.topic == bindparam("topic"))
_DELIVER = insert(delivery)


def envelope_row(topic: str, item: Envelope, published_at: datetime) -> dict[str, Any]:
    """The log row of one envelope."""
    return {
        "id": item.id,
        "topic": topic,
        "kind": item.kind,
        "source": item.source,
        "entity": item.entity,
        "business_key": item.key,
        "partition_key": item.partition_key,
        "idempotency_key": item.idempotency_key,
        "payload": orjson.dumps(item.payload).decode(),
        "headers": orjson.dumps(item.headers.model_dump(exclude_none=True)).decode(),
        "created_at": item.created_at,
        "published_at": published_at,
        "target_group": None,
    }


def append(
    connection: Connection, topic: str, envelopes: Sequence[Envelope], now: datetime
) -> Sequence[Row[Any]]:
    """Insert envelopes into the log, skipping idempotency keys already on the topic.

    Returns (seq, id, partition_key) of the rows inserted, in the order of `envelopes`: that
    is the partition's publish order.
    """
    rows = [envelope_row(topic, item, now) for item in envelopes]
    statement = _APPENDS.get(is_sqlite(connection))
    if statement is None:
        statement = _APPENDS[is_sqlite(connection)] = (
            insert_for(connection, envelope)
            .on_conflict_do_nothing(index_elements=["topic", "idempotency_key"])
            .returning(
                envelope.c.seq,
                envelope.c.id,
                envelope.c.partition_key,
                sort_by_parameter_order=True,
            )
        )
    return connection.execute(statement, rows).all()


def envelope_from_row(row: Any, attempt: int) -> Envelope:
    """Rebuild the envelope a worker receives from its log row."""
    return Envelope(
        id=row.id,
        kind=row.kind,
        source=row.source,
        entity=row.entity,
        key=row.business_key,
        partition_key=row.partition_key,
        idempotency_key=row.idempotency_key,
        payload=orjson.loads(row.payload),
        headers=Headers.model_validate(orjson.loads(row.headers)),
        created_at=as_utc(row.created_at),
        attempt=attempt,
    )


def fan_out(
    connection: Connection, topic: str, stored: Sequence[tuple[int, str]], now: datetime
) -> None:
    """Create one ready delivery per subscribed group for the stored (offset, partition) pairs.

    Rows are built here rather than by INSERT ... SELECT so the cost never depends on the
    planner's view of a log that may have grown since its last statistics.
    """
    if not stored:
        return
    groups = connection.execute(_GROUPS, {"topic": topic}).scalars().all()
    rows = [
        {
            "consumer_group": group,
            "seq": seq,
            "topic": topic,
            "partition_key": partition_key,
            "status": READY,
            "attempts": 0,
            "available_at": now,
        }
        for group in groups
        for seq, partition_key in stored
    ]
    if rows:
        connection.execute(_DELIVER, rows)
