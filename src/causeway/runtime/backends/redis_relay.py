"""The outbox relay to Redis Streams, and recovery when Redis has lost a topic's state.

The SQL side is `outbox_relay.OutboxRelay`. A forward appends a topic's rows in order in one
script, which also drops message ids sent within the deduplication window (the copies a
relay re-sends after a crash between the append and its SQL commit).

Redis may keep nothing on disk. A topic whose `groups` hash is missing while SQL lists
subscriptions for it has lost its streams, pending entries and holds. Recovery, under the
relay lock so no pass interleaves, recreates the consumer groups and re-relays, for each
group, the log it may not have finished: every entry meant for it since it subscribed
(or within `recovery_window`), in log order, except those parked for it and those still
queued (the pass forwards those right after). Entries the group had finished come again;
writers are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, select

from causeway.runtime.backends import broker_sql
from causeway.runtime.backends.outbox_relay import (
    OutboxRelay,
    Queued,
    envelope_body,
    logged_rows,
)
from causeway.runtime.backends.redis_link import Link, Outgoing
from causeway.runtime.backends.sql_dialect import as_utc
from causeway.runtime.envelope import uuid7
from causeway.store.tables.runtime import relay

log = structlog.get_logger("causeway.runtime")


class RedisRelay(OutboxRelay):
    """Forwards queued envelopes to the bucket streams of `link`'s layout."""

    def __init__(
        self,
        engine: Engine,
        link: Link,
        clock: Callable[[], datetime],
        *,
        dedupe_seconds: float = 120.0,
        recovery_window: timedelta | None = None,
        batch: int = 500,
    ) -> None:
        super().__init__(engine, self._forward, batch=batch)
        self.link = link
        self.clock = clock
        self.window_ms = int(dedupe_seconds * 1000)
        self.recovery_window = recovery_window

    def _forward(self, connection: Connection, rows: Sequence[Queued]) -> None:
        """Each topic's rows in order; a topic that lost its state is recovered first."""
        topics: dict[str, list[Outgoing]] = {}
        for queued in rows:
            topics.setdefault(queued.row.topic, []).append(_outgoing(queued))
        for topic, outgoing in topics.items():
            if self.link.forward(topic, outgoing, self.window_ms) is not None:
                continue
            if not self._recover(connection, topic):
                # Nobody subscribes: nothing to keep, as with JetStream's interest retention.
                log.debug("nothing subscribed, not relayed", topic=topic, count=len(outgoing))
                continue
            if self.link.forward(topic, outgoing, self.window_ms) is None:
                raise RuntimeError(f"Redis has no consumer groups for {topic} after recovery")

    def recover(self, topic: str) -> int:
        """Recover the topic's groups that Redis lacks; returns how many there were."""
        with self.locked() as connection:
            return self._recover(connection, topic)

    def _recover(self, connection: Connection, topic: str) -> int:
        subs = broker_sql.subscriptions(connection, topic)
        missing = [sub for sub in subs if not self.link.has_group(topic, sub.consumer_group)]
        if not missing:
            return len(subs)
        queued = connection.execute(
            select(relay.c.seq, relay.c.target_group).where(relay.c.topic == topic)
        ).all()
        for sub in missing:
            group = sub.consumer_group
            self.link.ensure_group(topic, group)
            since = as_utc(sub.created_at)
            if self.recovery_window is not None:
                since = max(since, self.clock() - self.recovery_window)
            coming = {q.seq for q in queued if q.target_group in (None, group)}
            seqs = [
                row.seq
                for row in broker_sql.log_range(connection, topic, group, since=since)
                if row.seq not in coming
            ]
            self._resend(connection, topic, group, seqs)
            # A group new to Redis usually has nothing to catch up on: that is no news.
            (log.warning if seqs else log.debug)(
                "redis consumer group recovered", topic=topic, group=group, since=since,
                relayed=len(seqs),
            )
        return len(subs)

    def _resend(self, connection: Connection, topic: str, group: str, seqs: list[int]) -> None:
        """Relay log entries again for one group, in log order, with fresh message ids."""
        batch = uuid7()
        for start in range(0, len(seqs), self.batch):
            chunk = seqs[start : start + self.batch]
            logged = logged_rows(connection, chunk)
            outgoing = [
                _outgoing(Queued(f"{logged[seq].id}/{batch}", group, logged[seq]))
                for seq in chunk
            ]
            if self.link.forward(topic, outgoing, self.window_ms) is None:
                raise RuntimeError(f"Redis lost {topic} again while recovering it")


def _outgoing(queued: Queued) -> Outgoing:
    row = queued.row
    return Outgoing(
        queued.message_id, row.seq, queued.target_group, row.partition_key, envelope_body(row)
    )

