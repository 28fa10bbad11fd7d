"""The backbone on Redis Streams, with the outbox, the log and the dead letters kept in SQL.

Each partition key hashes to one of N buckets, each a stream per topic; every group reads
every bucket through its own consumer group. A claim is one script that, bucket by
bucket, hands out the entry the group already holds there once its lease or retry delay
ran out, or else reads the bucket's next entry: a bucket never has two entries of a group
in flight, so order is strict per bucket (coarser than per partition), however many
processes claim. Leases, retry delays and releases live in the group's `holds` hash, on the
server's clock; XACK finishes an entry and trims what every group has finished.

What Redis does not keep stays in SQL: the log (replay, and recovery when Redis lost its
data), the outbox relay, subscription state shared by all processes (pause, slow) and the
dead letters.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine

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
from causeway.runtime.backends.redis_link import DEFAULT_URL, Link, RedisLayout, Settle
from causeway.runtime.backends.redis_relay import RedisRelay
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.backends.sql_log import append
from causeway.runtime.envelope import Envelope, utc_now, uuid7
from causeway.runtime.handler import Done, Park, Retry

log = structlog.get_logger("causeway.runtime")

__all__ = ["DEFAULT_URL", "RedisBackbone"]

_PARK_GUARD_MS = 60_000  # a parked entry's lease while its dead letter is written


@dataclass(slots=True)
class _Held:
    """Where each envelope of a claim sits: (bucket, entry id)."""

    topic: str
    group: str
    entries: dict[str, tuple[int, str]] = field(default_factory=dict)


class RedisBackbone:
    """Backbone on Redis Streams consumer groups; SQL holds the outbox, log, state and dead
    letters."""

    def __init__(
        self,
        engine: Engine,
        redis_url: str = DEFAULT_URL,
        *,
        layout: RedisLayout | None = None,
        dedupe_seconds: float = 120.0,
        recovery_window: timedelta | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.layout = layout or RedisLayout()
        self._sql = SqlBackbone(engine, clock=clock)
        self.link = Link(redis_url, self.layout)
        self.relay = RedisRelay(
            engine, self.link, clock, dedupe_seconds=dedupe_seconds,
            recovery_window=recovery_window,
        )
        self.relay.start()
        self._held: dict[str, _Held] = {}
        self._held_lock = threading.Lock()
        self._rng = random.Random()

    def close(self) -> None:
        """Stop the relay thread and close the connections; held entries stay leased."""
        self.relay.stop()
        self.link.close()

    def __enter__(self) -> RedisBackbone:
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
        """Record the subscription, then create its consumer groups (or recover them)."""
        self._sql.subscribe(topic, group)
        self.relay.recover(topic)
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

        Without a connection the envelopes are on Redis when this returns; with one, the
        relay forwards them shortly after the caller commits.
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
        """Relay what was just committed; if Redis is away, the relay thread retries.

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
        """Lease the next entry of up to `max_batch` free buckets, in one script call."""
        token = uuid7()
        expires_at = self.clock() + timedelta(seconds=lease_seconds)
        empty = Claim(topic, group, token, expires_at, ())
        if not broker_sql.claimable(self.engine, topic, group, self.clock()):
            return empty
        lease_ms = max(int(lease_seconds * 1000), 1)
        start = self._rng.randrange(self.layout.buckets)
        entries = self.link.claim(topic, group, token, lease_ms, max_batch, start)
        if entries is None:  # Redis lost the group (a restart without persistence)
            self.relay.recover(topic)
            entries = self.link.claim(topic, group, token, lease_ms, max_batch, start) or []
        if not entries:
            return empty
        held = _Held(topic, group)
        items: list[Envelope] = []
        offsets: dict[str, int] = {}
        for entry in entries:
            item = Envelope.model_validate(orjson.loads(entry.fields["b"]))
            items.append(item.model_copy(update={"attempt": entry.deliveries}))
            held.entries[item.id] = (entry.bucket, entry.entry_id)
            offsets[item.id] = int(entry.fields["s"])
        items.sort(key=lambda item: offsets[item.id])
        with self._held_lock:
            self._held[token] = held
        metrics.DELIVERED.labels(topic, group).inc(len(items))
        return Claim(topic, group, token, expires_at, tuple(items), offsets)

    def renew(self, claim: Claim, lease_seconds: float) -> int:
        """Restart the lease of the claim's entries that no one else has taken since."""
        with self._held_lock:
            held = self._held.get(claim.token)
        if held is None:
            return 0
        lease_ms = max(int(lease_seconds * 1000), 1)
        renewed = self.link.renew(
            held.topic, held.group, claim.token, lease_ms, list(held.entries.values())
        )
        return sum(renewed)

    def settle(self, claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        """Write parks to SQL while their leases are guarded, then apply every settlement
        in one script; entries whose lease passed to another claim are reported lost."""
        with self._held_lock:
            held = self._held.pop(claim.token, None)
        if held is None:
            return self._all_lost(claim, settlements)
        lost = self._park(claim, held, settlements)
        todo = {k: v for k, v in settlements.items() if k not in lost}
        plan = [_settle(held.entries[item_id], outcome) for item_id, outcome in todo.items()]
        applied = self.link.settle(claim.topic, claim.group, claim.token, plan)
        counts = {"acked": 0, "retried": 0, "parked": 0, "released": 0}
        for (item_id, outcome), ok in zip(todo.items(), applied, strict=True):
            if not ok:
                lost.add(item_id)
                continue
            counts[_COUNTER[type(outcome)]] += 1
            if isinstance(outcome, Retry):
                metrics.RETRIED.labels(claim.topic, claim.group, outcome.error_class).inc()
            elif isinstance(outcome, Park):
                metrics.PARKED.labels(claim.topic, claim.group, outcome.error_class).inc()
        metrics.ACKED.labels(claim.topic, claim.group).inc(counts["acked"])
        self._record_failures(claim, todo, lost)
        gone = tuple(item_id for item_id in settlements if item_id in lost)
        if gone:
            metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(gone))
            log.warning("leases lost", topic=claim.topic, group=claim.group, envelopes=gone)
        return SettleReport(lost=gone, **counts)

    def _record_failures(
        self, claim: Claim, applied: Mapping[str, Settlement], lost: set[str]
    ) -> None:
        """Each retry and park applied, for the dead letters' history."""
        attempts = {item.id: item.attempt for item in claim.envelopes}
        failures = [
            (claim.offsets[k], attempts[k], v)
            for k, v in applied.items()
            if isinstance(v, Retry | Park) and k not in lost
        ]
        if failures:
            with write_transaction(self.engine) as connection:
                sql_admin.record_attempts(connection, claim.group, failures, self.clock())

    @staticmethod
    def _all_lost(claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        lost = tuple(settlements)
        metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost))
        return SettleReport(lost=lost)

    def _park(
        self, claim: Claim, held: _Held, settlements: Mapping[str, Settlement]
    ) -> set[str]:
        """Dead letters for the parked envelopes still held; returns those no longer held.

        Their leases are first extended, so none runs out (and goes to another claim)
        between the dead letter and the ack.
        """
        parks = {k: v for k, v in settlements.items() if isinstance(v, Park)}
        if not parks:
            return set()
        held_now = self.link.renew(
            claim.topic, claim.group, claim.token, _PARK_GUARD_MS,
            [held.entries[item_id] for item_id in parks],
        )
        owned = {k: v for (k, v), ok in zip(parks.items(), held_now, strict=True) if ok}
        attempts = {item.id: item.attempt for item in claim.envelopes}
        now = self.clock()
        with write_transaction(self.engine) as connection:
            for item_id, outcome in owned.items():
                sql_admin.park(
                    connection, claim.topic, claim.group, claim.offsets[item_id], outcome,
                    attempts=attempts[item_id], last_error=outcome.reason, first_seen=now,
                    now=now,
                )
        return set(parks) - set(owned)

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

        Redis does not say which envelopes a group finished once they are trimmed, so every
        envelope of the range comes again except those parked for the group (their dead
        letters are the way back); a pending one is seen twice, which writers absorb.
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
        """Ready (unrelayed, undelivered, given back), in flight, scheduled, parked, lag.

        Trimmed entries leave no count behind, so `done` is derived: the envelopes logged
        for the group since it subscribed, less those ready, in flight, scheduled or
        parked. Parked counts every dead letter of the group, as the SQL backend does.
        """
        now = self.clock()
        with self.engine.connect() as connection:
            found = broker_sql.subscriptions(connection, topic)
            waiting = sql_admin.waiting_dead_letters(connection, topic)
            counts = [broker_sql.group_counts(connection, sub) for sub in found]
        result = []
        for sub, sql in zip(found, counts, strict=True):
            state = self.link.state(sub.topic, sub.consumer_group)
            ages = [] if state.oldest_ms is None else [state.oldest_ms / 1000]
            if sql.oldest_unrelayed is not None:
                ages.append((now - sql.oldest_unrelayed).total_seconds())
            ready = state.undelivered + state.due + sql.unrelayed
            in_flight = state.pending - state.scheduled - state.due
            item = TopicStats(
                topic=sub.topic,
                group=sub.consumer_group,
                ready=ready,
                in_flight=in_flight,
                scheduled=state.scheduled,
                parked=sql.parked,
                done=max(sql.logged - ready - in_flight - state.scheduled - sql.parked, 0),
                lag_seconds=max(max(ages, default=0.0), 0.0),
                paused=bool(sub.paused),
                pause_reason=sub.pause_reason,
                dead_letters=waiting.get((sub.topic, sub.consumer_group), 0),
            )
            metrics.observe(item)
            result.append(item)
        return result

    def prune(self, older_than: datetime) -> int:
        """Delete log entries older than `older_than` that no dead letter or relay needs."""
        return self._sql.prune(older_than)


_COUNTER: dict[type, str] = {
    Done: "acked", Retry: "retried", Park: "parked", Release: "released"
}


def _settle(entry: tuple[int, str], outcome: Settlement) -> Settle:
    """The script's action for one settlement (a park was written to SQL already)."""
    bucket, entry_id = entry
    if isinstance(outcome, Retry):
        return Settle(bucket, entry_id, "retry", max(int(outcome.delay * 1000), 0))
    if isinstance(outcome, Release):
        return Settle(bucket, entry_id, "release")
    return Settle(bucket, entry_id, "ack")
