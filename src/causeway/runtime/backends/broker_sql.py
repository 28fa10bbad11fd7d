"""What broker backends keep in SQL besides the relay: subscription state, replays, counts.

Every broker backend reads pause and slow from the subscription row (shared by all
processes), queues replays through the outbox relay, and derives its group counts from the
log, the dead letters and the relay queue. The queries live here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Row, func, or_, select

from causeway.runtime.backends import sql_admin
from causeway.runtime.backends.outbox_relay import enqueue
from causeway.runtime.backends.sql_dialect import as_utc
from causeway.runtime.envelope import uuid7
from causeway.runtime.errors import SubscriptionNotFoundError
from causeway.store.tables.runtime import dead_letter, envelope, relay, subscription


class GroupCounts(NamedTuple):
    """What SQL knows of one group: envelopes logged for it since it subscribed, its dead
    letters, rows still queued for the relay, and the oldest queued row's time."""

    logged: int
    parked: int
    unrelayed: int
    oldest_unrelayed: datetime | None


def claimable(engine: Engine, topic: str, group: str, now: datetime) -> bool:
    """False while the group is paused or slowed; SubscriptionNotFoundError if unknown."""
    with engine.connect() as connection:
        state = connection.execute(
            select(subscription.c.paused, subscription.c.throttled_until).where(
                subscription.c.topic == topic, subscription.c.consumer_group == group
            )
        ).first()
    if state is None:
        raise SubscriptionNotFoundError(topic, group)
    throttled = state.throttled_until is not None and as_utc(state.throttled_until) > now
    return not (state.paused or throttled)


def subscriptions(connection: Connection, topic: str | None = None) -> Sequence[Row[Any]]:
    """Subscription rows, of one topic or all, by topic."""
    query = select(subscription).order_by(subscription.c.topic, subscription.c.consumer_group)
    if topic is not None:
        query = query.where(subscription.c.topic == topic)
    return connection.execute(query).all()


def log_range(
    connection: Connection,
    topic: str,
    group: str,
    *,
    from_offset: int | None = None,
    since: datetime | None = None,
    until_offset: int | None = None,
) -> Sequence[Any]:
    """(seq, id) of the log entries of a range meant for the group, in log order.

    Envelopes parked for the group are left out: their dead letters are the way back.
    """
    parked = select(dead_letter.c.seq).where(
        dead_letter.c.consumer_group == group, dead_letter.c.status == "parked"
    )
    query = select(envelope.c.seq, envelope.c.id).where(
        envelope.c.topic == topic,
        or_(envelope.c.target_group.is_(None), envelope.c.target_group == group),
        envelope.c.seq.not_in(parked),
    )
    if from_offset is not None:
        query = query.where(envelope.c.seq >= from_offset)
    if until_offset is not None:
        query = query.where(envelope.c.seq <= until_offset)
    if since is not None:
        query = query.where(envelope.c.published_at >= since)
    return connection.execute(query.order_by(envelope.c.seq)).all()


def enqueue_range(
    connection: Connection,
    topic: str,
    group: str,
    now: datetime,
    *,
    from_offset: int | None = None,
    since: datetime | None = None,
    until_offset: int | None = None,
) -> int:
    """Queue a range of the log for the relay again, for one group; returns how many.

    Each copy gets a fresh message id, so the broker does not take it for a re-send.
    """
    known = connection.execute(
        select(subscription.c.topic).where(
            subscription.c.topic == topic, subscription.c.consumer_group == group
        )
    ).first()
    if known is None:
        raise SubscriptionNotFoundError(topic, group)
    rows = log_range(
        connection, topic, group, from_offset=from_offset, since=since, until_offset=until_offset
    )
    batch = uuid7()
    enqueue(
        connection, topic, [(row.seq, f"{row.id}/{batch}") for row in rows], now,
        target_group=group,
    )
    return len(rows)


def enqueue_dead_letter_replay(connection: Connection, dead_letter_id: int, now: datetime) -> str:
    """Log the (edited) dead letter anew and queue it for its group; returns the new id."""
    found, seq, new_id = sql_admin.append_replay(connection, dead_letter_id, now)
    enqueue(connection, found.topic, [(seq, new_id)], now, target_group=found.group)
    return new_id


def group_counts(connection: Connection, sub: Any) -> GroupCounts:
    """The SQL side of a group's stats (`sub` is its subscription row)."""
    for_group = or_(
        envelope.c.target_group.is_(None), envelope.c.target_group == sub.consumer_group
    )
    logged = connection.execute(
        select(func.count()).where(
            envelope.c.topic == sub.topic,
            envelope.c.published_at >= sub.created_at,
            for_group,
        )
    ).scalar_one()
    parked = connection.execute(
        select(func.count()).where(
            dead_letter.c.topic == sub.topic, dead_letter.c.consumer_group == sub.consumer_group
        )
    ).scalar_one()
    unrelayed, oldest = connection.execute(
        select(func.count(), func.min(relay.c.created_at)).where(
            relay.c.topic == sub.topic,
            or_(relay.c.target_group.is_(None), relay.c.target_group == sub.consumer_group),
        )
    ).one()
    return GroupCounts(
        int(logged), int(parked), int(unrelayed), as_utc(oldest) if oldest is not None else None
    )
