"""The backbone on NATS JetStream, with the outbox, the log and the dead letters kept in SQL.

Each partition key hashes to one of N buckets; a group reads each bucket through its own
durable pull consumer with `max_ack_pending=1`, so a bucket delivers its next envelope only
once the previous one is acked or parked: strict order per bucket (coarser than per
partition) however many processes claim. A retry naks with a delay and keeps the bucket
held until it is redelivered. The consumer's `AckWait` is the lease; `in_progress` renews it.

What JetStream does not keep stays in SQL: the log (replay), the outbox relay, subscription
state shared by all processes (pause, slow), dead letters and released deliveries.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import nats.errors
import orjson
import structlog
from nats.aio.msg import Msg
from nats.js.api import ConsumerInfo
from sqlalchemy import Connection, Engine, delete, select

from causeway.observe.tracing import stamped
from causeway.runtime import metrics
from causeway.runtime.backbone import (
    Claim,
    DeadLetter,
    DeadLetterQuery,
    Release,
    Settlement,
    SettleReport,
    TopicStats,
)
from causeway.runtime.backends import broker_sql, sql_admin
from causeway.runtime.backends.jetstream_heads import Head, Heads
from causeway.runtime.backends.jetstream_link import Layout, Link
from causeway.runtime.backends.jetstream_relay import GROUP_HEADER, SEQ_HEADER, Relay, enqueue
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import as_utc, insert_for, write_transaction
from causeway.runtime.backends.sql_log import append
from causeway.runtime.envelope import Envelope, utc_now, uuid7
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import release

log = structlog.get_logger("causeway.runtime")

DEFAULT_URL = "nats://127.0.0.1:4222"


@dataclass(slots=True)
class _Lease:
    """One delivered message held by a claim, and when its lease last started (monotonic)."""

    msg: Msg
    bucket: int
    seq: int
    renewed: float


@dataclass(slots=True)
class _Held:
    topic: str
    group: str
    leases: dict[str, _Lease] = field(default_factory=dict)


class JetStreamBackbone:
    """Backbone on JetStream consumers; SQL holds the outbox, log, state and dead letters."""

    def __init__(
        self,
        engine: Engine,
        nats_url: str = DEFAULT_URL,
        *,
        layout: Layout | None = None,
        lease_seconds: float = 30.0,
        fetch_wait: float = 0.05,
        grace: float = 0.003,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.layout = layout or Layout()
        self.lease_seconds = lease_seconds
        self._sql = SqlBackbone(engine, clock=clock)
        self.link = Link(nats_url)
        self.relay = Relay(engine, self.link, self.layout)
        self.relay.start()
        self.heads = Heads(self.link, self.layout, fetch_wait=fetch_wait, grace=grace)
        self._ack_wait: dict[tuple[str, str], float] = {}
        self._held: dict[str, _Held] = {}
        self._held_lock = threading.Lock()

    def close(self) -> None:
        """Give back heads fetched but never claimed, stop the relay, close the connection."""
        self.relay.stop()
        if self.link.loop.is_running():
            unclaimed = self.link.call(self.heads.unclaimed())
            with write_transaction(self.engine) as connection:
                for group, msg in unclaimed:
                    _count_release(connection, group, orjson.loads(msg.data)["id"])
            self.link.call(_nak_all(self.link, [msg for _, msg in unclaimed]))
        self.link.close()

    def __enter__(self) -> JetStreamBackbone:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- subscriptions (state in SQL, shared by every process) ---------------------------

    def subscribe(self, topic: str, group: str, *, from_start: bool = False) -> None:
        """Record the subscription and create the group's bucket consumers."""
        self._sql.subscribe(topic, group)
        self.link.call(self._ensure_consumers(topic, group, self.lease_seconds))
        if from_start:
            self.replay(topic, group, from_offset=0)

    async def _ensure_consumers(self, topic: str, group: str, ack_wait: float) -> None:
        await self.link.ensure_stream(self.layout, topic)
        await asyncio.gather(
            *(
                self.link.ensure_consumer(self.layout, topic, group, bucket, ack_wait)
                for bucket in range(self.layout.buckets)
            )
        )

    def pause(self, topic: str, group: str, reason: str) -> None:
        """Stop deliveries to the group until `resume`, in every process."""
        self._sql.pause(topic, group, reason)

    def resume(self, topic: str, group: str) -> None:
        """Let a paused group receive deliveries again."""
        self._sql.resume(topic, group)

    def slow(self, topic: str, group: str, until: datetime) -> None:
        """Hold every claim of the group until `until`, in all processes."""
        self._sql.slow(topic, group, until)

    # -- publish -------------------------------------------------------------------------

    def publish(
        self, topic: str, envelopes: Sequence[Envelope], *, connection: Connection | None = None
    ) -> list[str]:
        """Log envelopes and queue them for the relay; in the caller's transaction if given.

        Without a connection the envelopes are on the broker when this returns; with one,
        the relay forwards them shortly after the caller commits.
        """
        if not envelopes:
            return []
        envelopes = stamped(envelopes)
        if connection is not None:
            ids = self._publish(connection, topic, envelopes)
            self.relay.kick()
            return ids
        with write_transaction(self.engine) as own:
            ids = self._publish(own, topic, envelopes)
        self._forward_now()
        return ids

    def _forward_now(self) -> None:
        """Relay what was just committed; if the broker is away, the relay thread retries.

        The rows are committed either way, so the caller must not see a failure (a retry of
        the publish would only be deduplicated).
        """
        try:
            self.relay.flush()
        except Exception:  # the background relay keeps trying
            log.warning("relay deferred", exc_info=True)
            self.relay.kick()

    def _publish(
        self, connection: Connection, topic: str, envelopes: Sequence[Envelope]
    ) -> list[str]:
        now = self.clock()
        inserted = append(connection, topic, envelopes, now)
        enqueue(connection, topic, [(row.seq, row.id) for row in inserted], now)
        metrics.PUBLISHED.labels(topic).inc(len(inserted))
        if len(inserted) < len(envelopes):
            metrics.DUPLICATES.labels(topic).inc(len(envelopes) - len(inserted))
        return [row.id for row in inserted]

    # -- claim, renew, settle ------------------------------------------------------------

    def claim(self, topic: str, group: str, *, max_batch: int, lease_seconds: float) -> Claim:
        """Take the next envelope of up to `max_batch` buckets, fetched concurrently."""
        token = uuid7()
        expires_at = self.clock() + timedelta(seconds=lease_seconds)
        empty = Claim(topic, group, token, expires_at, ())
        if not broker_sql.claimable(self.engine, topic, group, self.clock()):
            return empty
        fetched = self.link.call(self._heads(topic, group, max_batch, lease_seconds))
        mine = [head for head in fetched if _target(head.msg) in (None, group)]
        if len(mine) < len(fetched):  # a replay meant for another group: not ours to handle
            others = [head.msg for head in fetched if _target(head.msg) not in (None, group)]
            self.link.call(_ack_all(self.link, others))
        if not mine:
            return empty
        released = self._released(group, [head.msg for head in mine])
        held = _Held(topic, group)
        items = []
        for bucket, msg, started in mine:
            item = Envelope.model_validate(orjson.loads(msg.data))
            attempt = msg.metadata.num_delivered - released.get(item.id, 0)
            items.append(item.model_copy(update={"attempt": max(attempt, 1)}))
            seq = int((msg.headers or {})[SEQ_HEADER])
            held.leases[item.id] = _Lease(msg, bucket, seq, started)
        items.sort(key=lambda item: held.leases[item.id].seq)
        with self._held_lock:
            self._held[token] = held
        metrics.DELIVERED.labels(topic, group).inc(len(items))
        offsets = {item.id: held.leases[item.id].seq for item in items}
        return Claim(topic, group, token, expires_at, tuple(items), offsets)

    async def _heads(
        self, topic: str, group: str, max_batch: int, lease_seconds: float
    ) -> list[Head]:
        """Make the consumers' AckWait the claim's lease, then ask for their next envelopes."""
        if self._ack_wait.get((topic, group)) != lease_seconds:
            await asyncio.gather(
                *(
                    self.link.set_ack_wait(self.layout, topic, group, bucket, lease_seconds)
                    for bucket in range(self.layout.buckets)
                )
            )
            self._ack_wait[(topic, group)] = lease_seconds
        return await self.heads.fetch(topic, group, max_batch)

    def _released(self, group: str, msgs: Sequence[Msg]) -> dict[str, int]:
        """Releases recorded for redelivered envelopes (first deliveries have none)."""
        again = [orjson.loads(m.data)["id"] for m in msgs if m.metadata.num_delivered > 1]
        if not again:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(release.c.envelope_id, release.c.released).where(
                    release.c.consumer_group == group, release.c.envelope_id.in_(again)
                )
            ).all()
        return {row.envelope_id: row.released for row in rows}

    def renew(self, claim: Claim, lease_seconds: float) -> int:
        """Restart the lease (the consumer's AckWait) of the envelopes still held."""
        held = self._holding(claim)
        if held is None:
            return 0
        lost = self._lost(held)
        leases = [lease for item_id, lease in held.leases.items() if item_id not in lost]
        now = time.monotonic()
        self.link.call(_in_progress(self.link, [lease.msg for lease in leases]))
        for lease in leases:
            lease.renewed = now
        return len(leases)

    def _holding(self, claim: Claim) -> _Held | None:
        with self._held_lock:
            return self._held.get(claim.token)

    def _lost(self, held: _Held) -> set[str]:
        """Envelopes whose lease ran out and which the consumer has delivered again since.

        Only leases older than the AckWait are checked: before that the server cannot have
        redelivered them. With one message in flight per consumer, a consumer that has
        delivered anything after our delivery has given our envelope to someone else.
        """
        ack_wait = self._ack_wait.get((held.topic, held.group), self.lease_seconds)
        now = time.monotonic()
        stale = {
            item_id: lease
            for item_id, lease in held.leases.items()
            if now - lease.renewed >= ack_wait * 0.9
        }
        if not stale:
            return set()
        infos = self.link.call(
            _consumer_infos(
                self.link, self.layout, held.topic, held.group,
                sorted({lease.bucket for lease in stale.values()}),
            )
        )
        return {
            item_id
            for item_id, lease in stale.items()
            if _delivered(infos[lease.bucket]) != lease.msg.metadata.sequence.consumer
        }

    def settle(self, claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        """Record parks and releases in SQL, then ack, nak or term each message still held."""
        with self._held_lock:
            held = self._held.pop(claim.token, None)
        if held is None:
            lost_all = tuple(settlements)
            metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost_all))
            return SettleReport(lost=lost_all)
        lost_ids = self._lost(held)
        lost = tuple(item_id for item_id in settlements if item_id in lost_ids)
        applied = {k: v for k, v in settlements.items() if k not in lost_ids}
        attempts = {item.id: item.attempt for item in claim.envelopes}
        self._record(claim, held, applied, attempts)
        self.link.call(_apply(self.link, held, applied))
        counts = {"acked": 0, "retried": 0, "parked": 0, "released": 0}
        for outcome in applied.values():
            counts[_COUNTER[type(outcome)]] += 1
            if isinstance(outcome, Retry):
                metrics.RETRIED.labels(claim.topic, claim.group, outcome.error_class).inc()
            elif isinstance(outcome, Park):
                metrics.PARKED.labels(claim.topic, claim.group, outcome.error_class).inc()
        metrics.ACKED.labels(claim.topic, claim.group).inc(counts["acked"])
        if lost:
            metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost))
            log.warning("leases lost", topic=claim.topic, group=claim.group, envelopes=lost)
        return SettleReport(lost=lost, **counts)

    def _record(
        self,
        claim: Claim,
        held: _Held,
        applied: Mapping[str, Settlement],
        attempts: Mapping[str, int],
    ) -> None:
        """The SQL side of a settle: dead letters, release counts, and their clean-up."""
        parks = {k: v for k, v in applied.items() if isinstance(v, Park)}
        releases = [k for k, v in applied.items() if isinstance(v, Release)]
        finished = [
            k
            for k, v in applied.items()
            if isinstance(v, Done | Park) and held.leases[k].msg.metadata.num_delivered > 1
        ]
        failures = [
            (held.leases[k].seq, attempts[k], v)
            for k, v in applied.items()
            if isinstance(v, Retry | Park)
        ]
        if not (parks or releases or finished or failures):
            return
        now = self.clock()
        with write_transaction(self.engine) as connection:
            sql_admin.record_attempts(connection, claim.group, failures, now)
            for item_id, outcome in parks.items():
                sql_admin.park(
                    connection, claim.topic, claim.group, held.leases[item_id].seq, outcome,
                    attempts=attempts[item_id], last_error=outcome.reason, first_seen=now,
                    now=now,
                )
            for item_id in releases:
                _count_release(connection, claim.group, item_id)
            if finished:
                connection.execute(
                    delete(release).where(
                        release.c.consumer_group == claim.group,
                        release.c.envelope_id.in_(finished),
                    )
                )

    # -- operations (dead letters, replay, stats) ------------------------------------------

    def dead_letters(
        self, *, topic: str | None = None, group: str | None = None, status: str = "parked",
        limit: int = 100,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        return self._sql.dead_letters(topic=topic, group=group, status=status, limit=limit)

    def find_dead_letters(self, query: DeadLetterQuery) -> list[DeadLetter]:
        """Dead letters matching `query`, oldest first."""
        return self._sql.find_dead_letters(query)

    def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter by id."""
        return self._sql.dead_letter(dead_letter_id)

    def edit_dead_letter(self, dead_letter_id: int, payload: Mapping[str, Any]) -> DeadLetter:
        """Replace the payload a replay will deliver."""
        return self._sql.edit_dead_letter(dead_letter_id, payload)

    def discard_dead_letter(self, dead_letter_id: int) -> None:
        """Close a dead letter without replaying it."""
        self._sql.discard_dead_letter(dead_letter_id)

    def replay_dead_letter(self, dead_letter_id: int) -> str:
        """Log the (edited) envelope anew and relay it to the tail of its bucket, for its group."""
        with write_transaction(self.engine) as connection:
            new_id = broker_sql.enqueue_dead_letter_replay(
                connection, dead_letter_id, self.clock()
            )
        self._forward_now()
        return new_id

    def replay(
        self, topic: str, group: str, *, from_offset: int | None = None,
        since: datetime | None = None, until_offset: int | None = None,
    ) -> int:
        """Relay a range of the log again, for this group only, in log order.

        JetStream does not say which envelopes a group has finished, so every envelope of
        the range is delivered again except those parked for the group (their dead letters
        are the way back). Writers are idempotent, so a pending one seen twice is harmless.
        """
        with write_transaction(self.engine) as connection:
            count = broker_sql.enqueue_range(
                connection, topic, group, self.clock(), from_offset=from_offset, since=since,
                until_offset=until_offset,
            )
        self._forward_now()
        log.info("replay", topic=topic, group=group, from_offset=from_offset, count=count)
        return count

    def stats(self, topic: str | None = None) -> list[TopicStats]:
        """Ready (unrelayed + undelivered), in flight (incl. waiting retries), parked, lag.

        `scheduled` stays 0: a nak'ed message counts as in flight. JetStream keeps no count
        of acked messages once interest retention removed them, so `done` is derived: the
        envelopes logged for the group since it subscribed, less those still ready, in
        flight or parked. Parked counts every dead letter of the group, replayed or
        discarded ones too, as the SQL backend does.
        """
        now = self.clock()
        with self.engine.connect() as connection:
            found = broker_sql.subscriptions(connection, topic)
            waiting = sql_admin.waiting_dead_letters(connection, topic)
            counts = {
                (sub.topic, sub.consumer_group): broker_sql.group_counts(connection, sub)
                for sub in found
            }
        result = []
        for sub in found:
            infos = self.link.call(
                _consumer_infos(
                    self.link, self.layout, sub.topic, sub.consumer_group,
                    list(range(self.layout.buckets)),
                )
            )
            logged, parked, unrelayed, oldest_unrelayed = counts[(sub.topic, sub.consumer_group)]
            oldest = [oldest_unrelayed] if oldest_unrelayed is not None else []
            oldest += self.link.call(self._oldest_pending(sub.topic, list(infos.values())))
            lag = (now - min(oldest)).total_seconds() if oldest else 0.0
            ready = sum(i.num_pending or 0 for i in infos.values()) + unrelayed
            in_flight = sum(i.num_ack_pending or 0 for i in infos.values())
            item = TopicStats(
                topic=sub.topic,
                group=sub.consumer_group,
                ready=ready,
                in_flight=in_flight,
                scheduled=0,
                parked=parked,
                done=max(logged - ready - in_flight - parked, 0),
                lag_seconds=max(lag, 0.0),
                paused=bool(sub.paused),
                pause_reason=sub.pause_reason,
                dead_letters=waiting.get((sub.topic, sub.consumer_group), 0),
            )
            metrics.observe(item)
            result.append(item)
        return result

    async def _oldest_pending(self, topic: str, infos: Sequence[ConsumerInfo]) -> list[datetime]:
        """Publish times of each busy bucket's oldest unacked message."""
        stream = self.layout.stream(topic)

        async def first(info: ConsumerInfo) -> datetime | None:
            if not (info.num_pending or info.num_ack_pending):
                return None
            try:
                message = await self.link.js.get_msg(
                    stream,
                    seq=(info.ack_floor.stream_seq if info.ack_floor else 0) + 1,
                    subject=info.config.filter_subject,
                    next=True,
                )
            except nats.errors.Error:
                return None
            return message.time

        found = await asyncio.gather(*(first(info) for info in infos))
        return [as_utc(when) for when in found if when is not None]

    def prune(self, older_than: datetime) -> int:
        """Delete log entries older than `older_than` that no dead letter or relay needs."""
        return self._sql.prune(older_than)


_COUNTER: dict[type, str] = {
    Done: "acked", Retry: "retried", Park: "parked", Release: "released"
}


def _delivered(info: ConsumerInfo) -> int:
    """The consumer sequence of the consumer's latest delivery."""
    return info.delivered.consumer_seq or 0 if info.delivered else 0


def _target(msg: Msg) -> str | None:
    """The one group a replayed message is meant for, or None for every group."""
    return (msg.headers or {}).get(GROUP_HEADER)


def _count_release(connection: Connection, group: str, envelope_id: str) -> None:
    """Remember one delivery handed back untouched, so it is not counted as an attempt."""
    statement = insert_for(connection, release).values(
        consumer_group=group, envelope_id=envelope_id, released=1
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["consumer_group", "envelope_id"],
            set_={"released": release.c.released + 1},
        )
    )


async def _nak_all(link: Link, msgs: Sequence[Msg]) -> None:
    for msg in msgs:
        await msg.nak()
    await link.nc.flush()


async def _ack_all(link: Link, msgs: Sequence[Msg]) -> None:
    for msg in msgs:
        await msg.ack()
    await link.nc.flush()


async def _in_progress(link: Link, msgs: Sequence[Msg]) -> None:
    for msg in msgs:
        await msg.in_progress()
    await link.nc.flush()


async def _apply(link: Link, held: _Held, applied: Mapping[str, Settlement]) -> None:
    """Send every ack, nak or term, then flush: the server has processed them on return."""
    for item_id, outcome in applied.items():
        msg = held.leases[item_id].msg
        if isinstance(outcome, Done):
            await msg.ack()
        elif isinstance(outcome, Retry):
            await msg.nak(delay=outcome.delay if outcome.delay > 0 else None)
        elif isinstance(outcome, Park):
            await msg.term()
        else:
            await msg.nak()
    await link.nc.flush()


async def _consumer_infos(
    link: Link, layout: Layout, topic: str, group: str, buckets: Sequence[int]
) -> dict[int, ConsumerInfo]:
    stream = layout.stream(topic)
    infos = await asyncio.gather(
        *(link.js.consumer_info(stream, layout.durable(group, bucket)) for bucket in buckets)
    )
    return dict(zip(buckets, infos, strict=True))

