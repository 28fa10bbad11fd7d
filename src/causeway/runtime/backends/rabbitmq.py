"""The backbone on RabbitMQ quorum queues, with the outbox, the log and the dead letters in SQL.

Each partition key hashes to one of N buckets; per topic, group and bucket there is a quorum
queue with a single active consumer, which every process consumes with a prefetch of one
(`rabbitmq_lanes.py`): a bucket hands its next envelope to one process only, once the
previous one was acked, so order is strict per bucket (coarser than per partition) however
many processes claim. A retry keeps its message unacked until its delay passed, which holds
the bucket, then gives it back to the head of the queue. Leases are timers in the claiming
process; a process that dies gives all it held back with its connection.

What RabbitMQ does not keep stays in SQL: the log (replay), the outbox relay, subscription
state shared by all processes (pause, slow), the dead letters, released deliveries, and one
delivery row per settled envelope and group, which lets consumers drop the copies of a
relay re-send (RabbitMQ does not deduplicate) and gives `done` exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import orjson
import structlog
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import Connection, Engine, delete, func, select

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
from causeway.runtime.backends.outbox_relay import enqueue
from causeway.runtime.backends.rabbitmq_lanes import Lanes, Settle
from causeway.runtime.backends.rabbitmq_link import DEFAULT_URL, SEQ_HEADER, Link, RabbitLayout
from causeway.runtime.backends.rabbitmq_relay import RabbitRelay
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import as_utc, insert_for, write_transaction
from causeway.runtime.backends.sql_log import append
from causeway.runtime.envelope import Envelope, utc_now, uuid7
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import delivery, envelope, release

log = structlog.get_logger("causeway.runtime")

__all__ = ["DEFAULT_URL", "RabbitMQBackbone"]

_PARK_GUARD_SECONDS = 60.0  # a settled delivery's lease while its SQL rows are written
_SETTLED = ("done", "parked")  # delivery rows of envelopes the group finished
_RETRYING = "ready"  # a delivery row of an envelope retried, with its attempts


@dataclass(slots=True)
class _Held:
    """Where each envelope of a claim sits: its bucket, and its row facts for SQL."""

    topic: str
    group: str
    buckets: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    redelivered: set[str] = field(default_factory=set)


class RabbitMQBackbone:
    """Backbone on RabbitMQ quorum queues; SQL holds the outbox, log, state and dead
    letters."""

    def __init__(
        self,
        engine: Engine,
        amqp_url: str = DEFAULT_URL,
        *,
        layout: RabbitLayout | None = None,
        fetch_wait: float = 0.05,
        grace: float = 0.003,
        rotate_after: int = 16,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.layout = layout or RabbitLayout()
        self.fetch_wait = fetch_wait
        self.grace = grace
        self.rotate_after = rotate_after
        self._sql = SqlBackbone(engine, clock=clock)
        self.link = Link(amqp_url, self.layout)
        self.relay = RabbitRelay(engine, self.link)
        self.relay.start()
        self._lanes: dict[tuple[str, str], Lanes] = {}
        self._held: dict[str, _Held] = {}
        self._held_lock = threading.Lock()

    def close(self) -> None:
        """Count deliveries no claim took as released, stop the relay, close the connection
        (the broker gives back every unacked message)."""
        self.relay.stop()
        unclaimed = [
            (lanes.group, message)
            for lanes in list(self._lanes.values())
            for message in self.link.call(lanes.unclaimed())
        ]
        if unclaimed:
            with write_transaction(self.engine) as connection:
                for group, message in unclaimed:
                    _count_release(connection, group, orjson.loads(message.body)["id"])
        self.link.close()

    def __enter__(self) -> RabbitMQBackbone:
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
        """Record the subscription and declare the group's bucket queues."""
        self._sql.subscribe(topic, group)
        self.link.call(self.link.ensure_queues(topic, group), timeout=self.link.timeout * 6)
        if from_start:
            self.replay(topic, group, from_offset=0)

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

    def _lanes_of(self, topic: str, group: str) -> Lanes:
        with self._held_lock:  # claims may run in several threads: one set of lanes each
            lanes = self._lanes.get((topic, group))
            if lanes is None:
                lanes = Lanes(self.link, topic, group, rotate_after=self.rotate_after)
                self._lanes[(topic, group)] = lanes
            return lanes

    def claim(self, topic: str, group: str, *, max_batch: int, lease_seconds: float) -> Claim:
        """Take the delivered head of up to `max_batch` buckets; copies of envelopes the
        group already settled are acked unseen."""
        token = uuid7()
        expires_at = self.clock() + timedelta(seconds=lease_seconds)
        empty = Claim(topic, group, token, expires_at, ())
        if not broker_sql.claimable(self.engine, topic, group, self.clock()):
            return empty
        lanes = self._lanes_of(topic, group)
        taken = self.link.call(
            lanes.take(token, max_batch, lease_seconds, wait=self.fetch_wait, grace=self.grace)
        )
        if not taken:
            return empty
        parsed = [(item, _parse(item.message)) for item in taken]
        settled, tried, released = self._seen(group, [p for _, p in parsed])
        copies = [item for item, p in parsed if p.seq in settled]
        if copies:  # a relay re-sent them after the group had settled the originals
            plan = [Settle(item.bucket, "ack") for item in copies]
            self.link.call(lanes.settle(token, plan))
            metrics.DUPLICATES.labels(topic).inc(len(copies))
        held = _Held(topic, group)
        items: list[Envelope] = []
        offsets: dict[str, int] = {}
        for item, p in parsed:
            if p.seq in settled:
                continue
            attempt = max(
                p.deliveries - released.get(p.envelope.id, 0) + item.again,
                tried.get(p.seq, 0) + 1,
                1,
            )
            items.append(p.envelope.model_copy(update={"attempt": attempt}))
            held.buckets[p.envelope.id] = item.bucket
            held.keys[p.envelope.id] = p.envelope.partition_key
            if p.deliveries > 1:
                held.redelivered.add(p.envelope.id)
            offsets[p.envelope.id] = p.seq
        if not items:
            return empty
        items.sort(key=lambda item: offsets[item.id])
        with self._held_lock:
            self._held[token] = held
        metrics.DELIVERED.labels(topic, group).inc(len(items))
        return Claim(topic, group, token, expires_at, tuple(items), offsets)

    def _seen(
        self, group: str, parsed: Sequence[_Parsed]
    ) -> tuple[set[int], dict[int, int], dict[str, int]]:
        """Offsets the group already settled, attempts of those retried, and releases of
        redelivered envelopes."""
        seqs = [p.seq for p in parsed]
        again = [p.envelope.id for p in parsed if p.deliveries > 1]
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery.c.seq, delivery.c.status, delivery.c.attempts).where(
                    delivery.c.consumer_group == group, delivery.c.seq.in_(seqs)
                )
            ).all()
            settled = {row.seq for row in rows if row.status in _SETTLED}
            tried = {row.seq: int(row.attempts) for row in rows if row.status == _RETRYING}
            released: dict[str, int] = {}
            if again:
                counted = connection.execute(
                    select(release.c.envelope_id, release.c.released).where(
                        release.c.consumer_group == group, release.c.envelope_id.in_(again)
                    )
                ).all()
                released = {row.envelope_id: row.released for row in counted}
        return settled, tried, released

    def renew(self, claim: Claim, lease_seconds: float) -> int:
        """Restart the lease of the claim's envelopes that this process still holds."""
        with self._held_lock:
            held = self._held.get(claim.token)
        if held is None:
            return 0
        lanes = self._lanes_of(held.topic, held.group)
        renewed = self.link.call(
            lanes.renew(claim.token, list(held.buckets.values()), lease_seconds)
        )
        return sum(renewed)

    def settle(self, claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        """Guard the leases, write delivery rows, dead letters and releases to SQL, then
        ack, delay or give back each message; those whose lease ran out are reported lost."""
        with self._held_lock:
            held = self._held.pop(claim.token, None)
        if held is None:
            return self._all_lost(claim, settlements)
        lanes = self._lanes_of(held.topic, held.group)
        ids = list(settlements)
        owned_flags = self.link.call(
            lanes.renew(claim.token, [held.buckets[i] for i in ids], _PARK_GUARD_SECONDS)
        )
        owned = {i: settlements[i] for i, ok in zip(ids, owned_flags, strict=True) if ok}
        self._record(claim, held, owned)
        plan = [_settle(held.buckets[item_id], outcome) for item_id, outcome in owned.items()]
        applied = self.link.call(lanes.settle(claim.token, plan))
        lost = {i for i in ids if i not in owned}
        counts = {"acked": 0, "retried": 0, "parked": 0, "released": 0}
        for (item_id, outcome), ok in zip(owned.items(), applied, strict=True):
            if not ok:
                lost.add(item_id)
                continue
            counts[_COUNTER[type(outcome)]] += 1
            if isinstance(outcome, Retry):
                metrics.RETRIED.labels(claim.topic, claim.group, outcome.error_class).inc()
            elif isinstance(outcome, Park):
                metrics.PARKED.labels(claim.topic, claim.group, outcome.error_class).inc()
        metrics.ACKED.labels(claim.topic, claim.group).inc(counts["acked"])
        gone = tuple(item_id for item_id in ids if item_id in lost)
        if gone:
            metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(gone))
            log.warning("leases lost", topic=claim.topic, group=claim.group, envelopes=gone)
        return SettleReport(lost=gone, **counts)

    @staticmethod
    def _all_lost(claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        lost = tuple(settlements)
        metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost))
        return SettleReport(lost=lost)

    def _record(self, claim: Claim, held: _Held, owned: Mapping[str, Settlement]) -> None:
        """The SQL side of a settle, committed before any ack: a delivery row per finished
        envelope (so a redelivered copy is dropped) or retried one (its attempts survive
        the process), dead letters, release counts."""
        finished = {k: v for k, v in owned.items() if isinstance(v, Done | Park)}
        releases = [k for k, v in owned.items() if isinstance(v, Release)]
        if not owned:
            return
        now = self.clock()
        attempts = {item.id: item.attempt for item in claim.envelopes}
        with write_transaction(self.engine) as connection:
            rows = [
                {
                    "consumer_group": claim.group,
                    "seq": claim.offsets[item_id],
                    "topic": claim.topic,
                    "partition_key": held.keys[item_id],
                    "status": _status(outcome),
                    "attempts": attempts[item_id],
                    "available_at": now + timedelta(seconds=_delay(outcome)),
                    "last_attempt_at": now,
                    "done_at": None if isinstance(outcome, Retry) else now,
                    "error_class": str(outcome.error_class) if isinstance(outcome, Retry) else None,
                }
                for item_id, outcome in owned.items()
                if isinstance(outcome, Done | Park | Retry)
            ]
            if rows:
                statement = insert_for(connection, delivery).values(rows)
                excluded = statement.excluded
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["consumer_group", "seq"],
                        set_={
                            "status": excluded.status,
                            "attempts": excluded.attempts,
                            "available_at": excluded.available_at,
                            "last_attempt_at": excluded.last_attempt_at,
                            "done_at": excluded.done_at,
                            "error_class": excluded.error_class,
                        },
                    )
                )
            failures = [
                (claim.offsets[k], attempts[k], v)
                for k, v in owned.items()
                if isinstance(v, Retry | Park)
            ]
            sql_admin.record_attempts(connection, claim.group, failures, now)
            for item_id, outcome in finished.items():
                if isinstance(outcome, Park):
                    sql_admin.park(
                        connection, claim.topic, claim.group, claim.offsets[item_id], outcome,
                        attempts=attempts[item_id], last_error=outcome.reason,
                        first_seen=now, now=now,
                    )
            again = [k for k in finished if k in held.redelivered]
            if again:
                connection.execute(
                    delete(release).where(
                        release.c.consumer_group == claim.group,
                        release.c.envelope_id.in_(again),
                    )
                )
            for item_id in releases:
                _count_release(connection, claim.group, item_id)

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
        """Log the (edited) envelope anew and relay it to the tail of its bucket, for its
        group's queue only."""
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

        The group's delivery rows of the range go in the same transaction, or its
        consumers would take the copies for re-sends; envelopes parked for it are left out
        (their dead letters are the way back); a pending one is seen twice.
        """
        with write_transaction(self.engine) as connection:
            seqs = [
                row.seq
                for row in broker_sql.log_range(
                    connection, topic, group, from_offset=from_offset, since=since,
                    until_offset=until_offset,
                )
            ]
            for start in range(0, len(seqs), 500):
                connection.execute(
                    delete(delivery).where(
                        delivery.c.consumer_group == group,
                        delivery.c.status == "done",
                        delivery.c.seq.in_(seqs[start : start + 500]),
                    )
                )
            count = broker_sql.enqueue_range(
                connection, topic, group, self.clock(), from_offset=from_offset, since=since,
                until_offset=until_offset,
            )
        self._forward_now()
        log.info("replay", topic=topic, group=group, from_offset=from_offset, count=count)
        return count

    def stats(self, topic: str | None = None) -> list[TopicStats]:
        """Ready (unrelayed, queued, delivered here but unclaimed), in flight, scheduled,
        parked, done, lag.

        `done`, `scheduled` and what is unfinished come from SQL (delivery rows against the
        log); the queues tell how many messages wait. Messages delivered to another
        process and not claimed there yet count as in flight.
        """
        now = self.clock()
        with self.engine.connect() as connection:
            found = broker_sql.subscriptions(connection, topic)
            waiting = sql_admin.waiting_dead_letters(connection, topic)
            counts = [_counts(connection, sub, now) for sub in found]
        result = []
        for sub, (sql, settled, done, scheduled, oldest) in zip(found, counts, strict=True):
            lanes = self._lanes.get((sub.topic, sub.consumer_group))
            queued = self.link.call(self.link.ready_counts(sub.topic, sub.consumer_group))
            buffered = lanes.buffered if lanes is not None else 0
            ready = sum(queued) + buffered + sql.unrelayed
            unfinished = max(sql.logged - settled, 0)
            in_flight = max(unfinished - ready - scheduled, 0)
            ages = [(now - when).total_seconds() for when in (oldest, sql.oldest_unrelayed)
                    if when is not None]
            item = TopicStats(
                topic=sub.topic,
                group=sub.consumer_group,
                ready=ready,
                in_flight=in_flight,
                scheduled=scheduled,
                parked=sql.parked,
                done=done,
                lag_seconds=max(max(ages, default=0.0), 0.0),
                paused=bool(sub.paused),
                pause_reason=sub.pause_reason,
                dead_letters=waiting.get((sub.topic, sub.consumer_group), 0),
            )
            metrics.observe(item)
            result.append(item)
        return result

    def prune(self, older_than: datetime) -> int:
        """Delete log entries older than `older_than` that no dead letter or relay needs
        (their delivery rows go with them)."""
        return self._sql.prune(older_than)


_COUNTER: dict[type, str] = {
    Done: "acked", Retry: "retried", Park: "parked", Release: "released"
}


@dataclass(frozen=True, slots=True)
class _Parsed:
    envelope: Envelope
    seq: int
    deliveries: int


def _parse(message: AbstractIncomingMessage) -> _Parsed:
    """The envelope, its log offset, and how many times the queue delivered it.

    A quorum queue counts earlier deliveries that came back in `x-delivery-count`.
    """
    headers = message.headers or {}
    item = Envelope.model_validate(orjson.loads(message.body))
    returned = headers.get("x-delivery-count")
    deliveries = 1 + (int(returned) if isinstance(returned, int) else 0)
    seq = headers[SEQ_HEADER]
    return _Parsed(item, int(seq) if isinstance(seq, int | str) else 0, deliveries)


def _settle(bucket: int, outcome: Settlement) -> Settle:
    """The lane's action for one settlement (SQL has recorded a park or done already)."""
    if isinstance(outcome, Retry):
        return Settle(bucket, "retry", outcome.delay)
    if isinstance(outcome, Release):
        return Settle(bucket, "release")
    return Settle(bucket, "ack")


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


def _status(outcome: Settlement) -> str:
    if isinstance(outcome, Retry):
        return _RETRYING
    return "parked" if isinstance(outcome, Park) else "done"


def _delay(outcome: Settlement) -> float:
    return max(outcome.delay, 0.0) if isinstance(outcome, Retry) else 0.0


def _counts(
    connection: Connection, sub: Any, now: datetime
) -> tuple[broker_sql.GroupCounts, int, int, int, datetime | None]:
    """The SQL side of a group's stats: the shared counts, envelopes it settled, those
    done, retries still waiting out their delay, and the publish time of its oldest
    unsettled envelope."""
    sql = broker_sql.group_counts(connection, sub)
    mine = (delivery.c.consumer_group == sub.consumer_group, delivery.c.topic == sub.topic)
    rows: dict[str, int] = {
        str(status): int(count)
        for status, count in connection.execute(
            select(delivery.c.status, func.count())
            .where(*mine, delivery.c.status.in_(_SETTLED))
            .group_by(delivery.c.status)
        )
    }
    scheduled = connection.execute(
        select(func.count()).where(
            *mine, delivery.c.status == _RETRYING, delivery.c.available_at > now
        )
    ).scalar_one()
    settled = sum(rows.values())
    oldest = None
    if sql.logged > settled:
        oldest = connection.execute(
            select(func.min(envelope.c.published_at)).where(
                envelope.c.topic == sub.topic,
                envelope.c.published_at >= sub.created_at,
                (envelope.c.target_group.is_(None))
                | (envelope.c.target_group == sub.consumer_group),
                envelope.c.seq.not_in(
                    select(delivery.c.seq).where(
                        delivery.c.consumer_group == sub.consumer_group,
                        delivery.c.status.in_(_SETTLED),
                    )
                ),
            )
        ).scalar()
    done = int(rows.get("done", 0))
    return sql, settled, done, int(scheduled), as_utc(oldest) if oldest else None
