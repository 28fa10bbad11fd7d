"""Operations on the SQL backbone: dead letters, range replay, stats and retention.

Plain functions on a connection, so the CLI, the console and tests share one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)

from causeway.runtime.backbone import Attempt, DeadLetter, DeadLetterQuery, TopicStats
from causeway.runtime.backends.sql_dialect import as_utc, insert_for
from causeway.runtime.envelope import uuid7
from causeway.runtime.errors import (
    DeadLetterNotFoundError,
    DeadLetterStateError,
    SubscriptionNotFoundError,
)
from causeway.runtime.handler import Park, Retry
from causeway.store.tables.runtime import (
    attempt,
    dead_letter,
    delivery,
    envelope,
    relay,
    subscription,
)

log = structlog.get_logger("causeway.runtime")


def record_dead_letter(
    connection: Connection, topic: str, group: str, seq: int, outcome: Park, now: datetime
) -> None:
    """Keep a parked delivery as a dead letter with a copy of its payload to fix."""
    row = connection.execute(
        select(delivery.c.attempts, delivery.c.last_error, delivery.c.first_attempt_at).where(
            delivery.c.consumer_group == group, delivery.c.seq == seq
        )
    ).one()
    park(
        connection,
        topic,
        group,
        seq,
        outcome,
        attempts=row.attempts,
        last_error=row.last_error or outcome.reason,
        first_seen=row.first_attempt_at or now,
        now=now,
    )


def park(
    connection: Connection,
    topic: str,
    group: str,
    seq: int,
    outcome: Park,
    *,
    attempts: int,
    last_error: str,
    first_seen: datetime,
    now: datetime,
) -> None:
    """Insert the dead letter of log entry `seq` for `group`, whatever tracked its attempts."""
    row = connection.execute(
        select(envelope.c.id, envelope.c.partition_key, envelope.c.payload).where(
            envelope.c.seq == seq
        )
    ).one()
    connection.execute(
        insert(dead_letter).values(
            topic=topic,
            consumer_group=group,
            seq=seq,
            envelope_id=row.id,
            partition_key=row.partition_key,
            status="parked",
            reason=outcome.reason,
            error_class=str(outcome.error_class),
            record=outcome.record,
            field=outcome.field,
            attempts=attempts,
            last_error=last_error,
            payload=row.payload,
            first_seen=first_seen,
            last_seen=now,
        )
    )
    log.warning(
        "parked",
        topic=topic,
        group=group,
        envelope_id=row.id,
        partition_key=row.partition_key,
        error_class=str(outcome.error_class),
        record=outcome.record,
        field=outcome.field,
    )


ERROR_KEPT = 4_000
"""Characters of an error kept per attempt: enough for a stack's message, bounded."""


def record_attempts(
    connection: Connection,
    group: str,
    failures: Sequence[tuple[int, int, Retry | Park]],
    now: datetime,
) -> None:
    """Keep each failed delivery, (offset, attempt number, what was decided), for the
    dead letter's history; in the settle's transaction where the backend has one."""
    rows = [
        {
            "consumer_group": group,
            "seq": seq,
            "attempt": number,
            "at": now,
            "outcome": "retried" if isinstance(outcome, Retry) else "parked",
            "error_class": str(outcome.error_class),
            "error": outcome.reason[:ERROR_KEPT],
            "delay_seconds": outcome.delay if isinstance(outcome, Retry) else None,
        }
        for seq, number, outcome in failures
    ]
    if rows:
        connection.execute(insert(attempt), rows)


def _history(connection: Connection, group: str, seq: int) -> tuple[Attempt, ...]:
    rows = connection.execute(
        select(attempt)
        .where(attempt.c.consumer_group == group, attempt.c.seq == seq)
        .order_by(attempt.c.id)
    ).all()
    return tuple(
        Attempt(
            attempt=row.attempt,
            at=as_utc(row.at),
            outcome=row.outcome,
            error_class=row.error_class,
            error=row.error,
            delay_seconds=row.delay_seconds,
        )
        for row in rows
    )


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        topic=row.topic,
        group=row.consumer_group,
        offset=row.seq,
        envelope_id=row.envelope_id,
        partition_key=row.partition_key,
        status=row.status,
        reason=row.reason,
        error_class=row.error_class,
        record=row.record,
        field=row.field,
        attempts=row.attempts,
        last_error=row.last_error,
        payload=orjson.loads(row.payload),
        first_seen=as_utc(row.first_seen),
        last_seen=as_utc(row.last_seen),
        replayed_as=row.replayed_as,
    )


def list_dead_letters(
    connection: Connection, topic: str | None, group: str | None, status: str, limit: int
) -> list[DeadLetter]:
    """Dead letters in the given status, oldest first."""
    query = select(dead_letter).where(dead_letter.c.status == status)
    if topic is not None:
        query = query.where(dead_letter.c.topic == topic)
    if group is not None:
        query = query.where(dead_letter.c.consumer_group == group)
    rows = connection.execute(query.order_by(dead_letter.c.id).limit(limit)).all()
    return [_dead_letter(row) for row in rows]


def find_dead_letters(connection: Connection, query: DeadLetterQuery) -> list[DeadLetter]:
    """Dead letters matching every field of `query`, oldest first, filtered in SQL."""
    # The payload is JSON text: PostgreSQL needs a cast to read into it, SQLite reads as is.
    payload: ColumnElement[Any]
    if connection.dialect.name == "postgresql":
        payload = cast(dead_letter.c.payload, JSON)
    else:
        payload = type_coerce(dead_letter.c.payload, JSON)
    statement = select(dead_letter).where(
        dead_letter.c.status == query.status, dead_letter.c.id > query.after_id
    )
    conditions = (
        (query.topic, dead_letter.c.topic),
        (query.group, dead_letter.c.consumer_group),
        (query.error_class, dead_letter.c.error_class),
        (query.system, payload["system"].as_string()),
        (query.object_name, payload["object_name"].as_string()),
    )
    for wanted, column in conditions:
        if wanted is not None:
            statement = statement.where(column == wanted)
    if query.since is not None:
        statement = statement.where(dead_letter.c.last_seen >= _utc(query.since))
    if query.until is not None:
        statement = statement.where(dead_letter.c.last_seen < _utc(query.until))
    rows = connection.execute(statement.order_by(dead_letter.c.id).limit(query.limit)).all()
    return [_dead_letter(row) for row in rows]


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC (SQLite keeps no offset): compare in UTC; naive means UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_dead_letter(connection: Connection, dead_letter_id: int) -> DeadLetter:
    """One dead letter, or DeadLetterNotFoundError."""
    row = connection.execute(select(dead_letter).where(dead_letter.c.id == dead_letter_id)).first()
    if row is None:
        raise DeadLetterNotFoundError(dead_letter_id)
    found = _dead_letter(row)
    return replace(found, history=_history(connection, found.group, found.offset))


def _parked(connection: Connection, dead_letter_id: int, action: str) -> DeadLetter:
    found = read_dead_letter(connection, dead_letter_id)
    if found.status != "parked":
        raise DeadLetterStateError(dead_letter_id, found.status, action)
    return found


def edit_dead_letter(
    connection: Connection, dead_letter_id: int, payload: Mapping[str, Any], now: datetime
) -> DeadLetter:
    """Replace the payload of a parked dead letter."""
    _parked(connection, dead_letter_id, "edit")
    connection.execute(
        update(dead_letter)
        .where(dead_letter.c.id == dead_letter_id)
        .values(payload=orjson.dumps(dict(payload)).decode(), last_seen=now)
    )
    log.info("dead letter edited", dead_letter_id=dead_letter_id)
    return read_dead_letter(connection, dead_letter_id)


def replay_dead_letter(connection: Connection, dead_letter_id: int, now: datetime) -> str:
    """Append the dead letter as a new envelope for its group only, after all it has queued."""
    found, seq, new_id = append_replay(connection, dead_letter_id, now)
    connection.execute(
        insert(delivery).values(
            consumer_group=found.group,
            seq=seq,
            topic=found.topic,
            partition_key=found.partition_key,
            status="ready",
            attempts=0,
            available_at=now,
        )
    )
    return new_id


def append_replay(
    connection: Connection, dead_letter_id: int, now: datetime
) -> tuple[DeadLetter, int, str]:
    """Log the (edited) dead letter as a new envelope meant for its group; (letter, seq, id).

    The log stays immutable: the replayed envelope is new (new id and offset, causation id
    pointing at the original), so its partition sees it after everything already published.
    The caller routes it to the group (a delivery row, or the broker relay).
    """
    found = _parked(connection, dead_letter_id, "replay")
    original = connection.execute(select(envelope).where(envelope.c.seq == found.offset)).one()
    headers = orjson.loads(original.headers)
    headers["causation_id"] = original.id
    new_id = uuid7()
    values = {
        column.name: getattr(original, column.name)
        for column in envelope.columns
        if column.name != "seq"
    }
    values.update(
        id=new_id,
        idempotency_key=f"{original.idempotency_key}#replay-{dead_letter_id}",
        payload=orjson.dumps(found.payload).decode(),
        headers=orjson.dumps(headers).decode(),
        published_at=now,
        target_group=found.group,
    )
    seq = connection.execute(insert(envelope).values(values).returning(envelope.c.seq)).scalar_one()
    connection.execute(
        update(dead_letter)
        .where(dead_letter.c.id == dead_letter_id)
        .values(status="replayed", replayed_as=new_id, last_seen=now)
    )
    log.info("dead letter replayed", dead_letter_id=dead_letter_id, envelope_id=new_id)
    return found, seq, new_id


def discard_dead_letter(connection: Connection, dead_letter_id: int, now: datetime) -> None:
    """Close a parked dead letter without replaying it."""
    _parked(connection, dead_letter_id, "discard")
    connection.execute(
        update(dead_letter)
        .where(dead_letter.c.id == dead_letter_id)
        .values(status="discarded", last_seen=now)
    )
    log.info("dead letter discarded", dead_letter_id=dead_letter_id)


def replay_range(
    connection: Connection,
    topic: str,
    group: str,
    now: datetime,
    from_offset: int | None,
    since: datetime | None,
    until_offset: int | None,
) -> int:
    """Make handled (or never delivered) envelopes of a log range due again for one group.

    Pending and parked deliveries are left alone: the first are already coming, the second
    go back through their dead letters.
    """
    known = connection.execute(
        select(subscription.c.topic).where(
            subscription.c.topic == topic, subscription.c.consumer_group == group
        )
    ).first()
    if known is None:
        raise SubscriptionNotFoundError(topic, group)
    rows = select(
        literal(group, String()),
        envelope.c.seq,
        envelope.c.topic,
        envelope.c.partition_key,
        literal("ready", String()),
        literal(0, Integer()),
        literal(now, delivery.c.available_at.type),
    ).where(
        envelope.c.topic == topic,
        or_(envelope.c.target_group.is_(None), envelope.c.target_group == group),
    )
    if from_offset is not None:
        rows = rows.where(envelope.c.seq >= from_offset)
    if until_offset is not None:
        rows = rows.where(envelope.c.seq <= until_offset)
    if since is not None:
        rows = rows.where(envelope.c.published_at >= since)
    columns = ["consumer_group", "seq", "topic", "partition_key", "status", "attempts"]
    statement = insert_for(connection, delivery).from_select([*columns, "available_at"], rows)
    statement = statement.on_conflict_do_update(
        index_elements=["consumer_group", "seq"],
        set_={
            "status": "ready",
            "attempts": 0,
            "available_at": now,
            "error_class": None,
            "last_error": None,
            "done_at": None,
            "first_attempt_at": None,
            "last_attempt_at": None,
        },
        where=delivery.c.status == "done",
    )
    # RETURNING, because drivers disagree on rowcount for INSERT ... SELECT ... ON CONFLICT.
    count = len(connection.execute(statement.returning(delivery.c.seq)).all())
    log.info("replay", topic=topic, group=group, from_offset=from_offset, count=count)
    return count


def topic_stats(connection: Connection, topic: str | None, now: datetime) -> list[TopicStats]:
    """Counts per delivery state and the age of the oldest pending envelope, per group."""

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    pending = delivery.c.status.in_(("ready", "leased"))
    ready = delivery.c.status == "ready"
    aggregates = (
        select(
            delivery.c.topic,
            delivery.c.consumer_group,
            count(and_(ready, delivery.c.available_at <= now)).label("ready"),
            count(delivery.c.status == "leased").label("in_flight"),
            count(and_(ready, delivery.c.available_at > now)).label("scheduled"),
            count(delivery.c.status == "parked").label("parked"),
            count(delivery.c.status == "done").label("done"),
            func.min(case((pending, envelope.c.published_at), else_=None)).label("oldest"),
        )
        .join(envelope, envelope.c.seq == delivery.c.seq)
        .group_by(delivery.c.topic, delivery.c.consumer_group)
    )
    subscriptions = select(subscription)
    if topic is not None:
        aggregates = aggregates.where(delivery.c.topic == topic)
        subscriptions = subscriptions.where(subscription.c.topic == topic)
    found = {(row.topic, row.consumer_group): row for row in connection.execute(aggregates)}
    waiting = waiting_dead_letters(connection, topic)
    result = []
    for sub in connection.execute(subscriptions.order_by(subscription.c.topic)).all():
        row = found.get((sub.topic, sub.consumer_group))
        oldest = row.oldest if row is not None else None
        lag = (now - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
        result.append(
            TopicStats(
                topic=sub.topic,
                group=sub.consumer_group,
                ready=int(row.ready) if row else 0,
                in_flight=int(row.in_flight) if row else 0,
                scheduled=int(row.scheduled) if row else 0,
                parked=int(row.parked) if row else 0,
                done=int(row.done) if row else 0,
                lag_seconds=max(lag, 0.0),
                paused=bool(sub.paused),
                pause_reason=sub.pause_reason,
                dead_letters=waiting.get((sub.topic, sub.consumer_group), 0),
            )
        )
    return result


def waiting_dead_letters(connection: Connection, topic: str | None) -> dict[tuple[str, str], int]:
    """Dead letters still parked, per (topic, group)."""
    query = (
        select(dead_letter.c.topic, dead_letter.c.consumer_group, func.count())
        .where(dead_letter.c.status == "parked")
        .group_by(dead_letter.c.topic, dead_letter.c.consumer_group)
    )
    if topic is not None:
        query = query.where(dead_letter.c.topic == topic)
    return {(row[0], row[1]): int(row[2]) for row in connection.execute(query)}


def prune(connection: Connection, older_than: datetime) -> int:
    """Delete old log entries no group still needs (deliveries and closed letters go too)."""
    still_needed = or_(
        exists().where(
            delivery.c.seq == envelope.c.seq, delivery.c.status.in_(("ready", "leased", "parked"))
        ),
        exists().where(dead_letter.c.seq == envelope.c.seq, dead_letter.c.status == "parked"),
        exists().where(relay.c.seq == envelope.c.seq),  # not yet forwarded to a broker
    )
    doomed = select(envelope.c.seq).where(envelope.c.published_at < older_than, ~still_needed)
    connection.execute(delete(dead_letter).where(dead_letter.c.seq.in_(doomed)))
    connection.execute(delete(attempt).where(attempt.c.seq.in_(doomed)))
    connection.execute(delete(delivery).where(delivery.c.seq.in_(doomed)))
    return int(connection.execute(delete(envelope).where(envelope.c.seq.in_(doomed))).rowcount)
