"""The backbone on SQL: the envelope log and per-group deliveries in SQLite or PostgreSQL.

Publishing inserts into the log and fans out one delivery row per subscribed group, in the
caller's transaction when one is given (outbox). A claim leases the due head of each
partition: the oldest delivery of the partition still pending, so a later envelope waits
while an earlier one waits for its retry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)

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
from causeway.runtime.backends import sql_admin
from causeway.runtime.backends.sql_dialect import (
    as_utc,
    insert_for,
    prepare_claim,
    write_transaction,
)
from causeway.runtime.backends.sql_log import READY, append, envelope_from_row, fan_out
from causeway.runtime.envelope import Envelope, utc_now, uuid7
from causeway.runtime.errors import SubscriptionNotFoundError
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import delivery, envelope, subscription

log = structlog.get_logger("causeway.runtime")

LEASED, DONE, PARKED = "leased", "done", "parked"


class SqlBackbone:
    """Backbone on SQLAlchemy core; the same code serves SQLite and PostgreSQL."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, topic: str, group: str, *, from_start: bool = False) -> None:
        """Create the group's subscription; with `from_start` the whole log is delivered too."""
        with write_transaction(self.engine) as connection:
            statement = insert_for(connection, subscription).values(
                topic=topic, consumer_group=group, paused=False, created_at=self.clock()
            )
            connection.execute(statement.on_conflict_do_nothing())
        if from_start:
            self.replay(topic, group, from_offset=0)

    def pause(self, topic: str, group: str, reason: str) -> None:
        """Stop deliveries to the group until `resume`."""
        values = {"paused": True, "pause_reason": reason, "paused_at": self.clock()}
        self._update_subscription(topic, group, values)
        metrics.PAUSED.labels(topic, group).set(1)
        log.error("subscription paused", topic=topic, group=group, reason=reason)

    def resume(self, topic: str, group: str) -> None:
        """Let a paused group receive deliveries again."""
        values = {"paused": False, "pause_reason": None, "paused_at": None}
        self._update_subscription(topic, group, values)
        metrics.PAUSED.labels(topic, group).set(0)
        log.info("subscription resumed", topic=topic, group=group)

    def slow(self, topic: str, group: str, until: datetime) -> None:
        """Hold every claim of the group until `until`, in all processes."""
        self._update_subscription(topic, group, {"throttled_until": until})

    def _update_subscription(self, topic: str, group: str, values: dict[str, Any]) -> None:
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(subscription)
                .where(subscription.c.topic == topic, subscription.c.consumer_group == group)
                .values(**values)
            )
            if result.rowcount == 0:
                raise SubscriptionNotFoundError(topic, group)

    # -- publish -------------------------------------------------------------------------

    def publish(
        self, topic: str, envelopes: Sequence[Envelope], *, connection: Connection | None = None
    ) -> list[str]:
        """Store envelopes once per idempotency key; joins the caller's transaction if given.

        Envelopes without a trace context get the publisher's current span, so every
        publisher (poller, outbox, tools) starts or continues a trace without doing anything.
        """
        if not envelopes:
            return []
        envelopes = stamped(envelopes)
        if connection is not None:
            return self._publish(connection, topic, envelopes)
        with write_transaction(self.engine) as own:
            return self._publish(own, topic, envelopes)

    def _publish(
        self, connection: Connection, topic: str, envelopes: Sequence[Envelope]
    ) -> list[str]:
        now = self.clock()
        inserted = append(connection, topic, envelopes, now)
        fan_out(connection, topic, [(row.seq, row.partition_key) for row in inserted], now)
        metrics.PUBLISHED.labels(topic).inc(len(inserted))
        if len(inserted) < len(envelopes):
            metrics.DUPLICATES.labels(topic).inc(len(envelopes) - len(inserted))
        log.debug("published", topic=topic, count=len(inserted), offered=len(envelopes))
        return [row.id for row in inserted]

    # -- claim, renew, settle ------------------------------------------------------------

    def claim(self, topic: str, group: str, *, max_batch: int, lease_seconds: float) -> Claim:
        """Lease the due head of up to `max_batch` partitions, oldest first."""
        token = uuid7()
        now = self.clock()
        expires_at = now + timedelta(seconds=lease_seconds)
        empty = Claim(topic, group, token, expires_at, ())
        with write_transaction(self.engine) as connection:
            state = connection.execute(
                select(subscription.c.paused, subscription.c.throttled_until).where(
                    subscription.c.topic == topic, subscription.c.consumer_group == group
                )
            ).first()
            if state is None:
                raise SubscriptionNotFoundError(topic, group)
            if state.paused or (
                state.throttled_until is not None and as_utc(state.throttled_until) > now
            ):
                return empty
            prepare_claim(connection, topic, group)
            seqs = connection.execute(
                _HEADS, {"w_group": group, "w_topic": topic, "w_now": now, "w_limit": max_batch}
            ).scalars().all()
            if not seqs:
                return empty
            connection.execute(
                update(delivery)
                .where(delivery.c.consumer_group == group, delivery.c.seq.in_(seqs))
                .values(
                    status=LEASED,
                    lease_token=token,
                    lease_expires_at=expires_at,
                    attempts=delivery.c.attempts + 1,
                    first_attempt_at=func.coalesce(delivery.c.first_attempt_at, now),
                    last_attempt_at=now,
                )
            )
            rows = connection.execute(
                select(envelope, delivery.c.attempts)
                .join(delivery, delivery.c.seq == envelope.c.seq)
                .where(delivery.c.consumer_group == group, delivery.c.seq.in_(seqs))
                .order_by(envelope.c.seq)
            ).all()
        items = tuple(envelope_from_row(row, row.attempts) for row in rows)
        metrics.DELIVERED.labels(topic, group).inc(len(items))
        offsets = {row.id: row.seq for row in rows}
        return Claim(topic, group, token, expires_at, items, offsets)

    def renew(self, claim: Claim, lease_seconds: float) -> int:
        """Push the lease of the batch's envelopes that this claim still holds."""
        if not claim.envelopes:
            return 0
        expires_at = self.clock() + timedelta(seconds=lease_seconds)
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(delivery)
                .where(*_held(claim))
                .values(lease_expires_at=expires_at)
            )
        return int(result.rowcount)

    def settle(self, claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        """Apply each settlement, skipping envelopes whose lease another worker now holds."""
        now = self.clock()
        counts = {"acked": 0, "retried": 0, "parked": 0, "released": 0}
        with write_transaction(self.engine) as connection:
            held = set(
                connection.execute(select(delivery.c.seq).where(*_held(claim))).scalars()
            )
            lost = tuple(
                envelope_id
                for envelope_id in settlements
                if claim.offsets[envelope_id] not in held
            )
            acked = [
                claim.offsets[envelope_id]
                for envelope_id, outcome in settlements.items()
                if isinstance(outcome, Done) and claim.offsets[envelope_id] in held
            ]
            if acked:
                connection.execute(
                    update(delivery)
                    .where(delivery.c.consumer_group == claim.group, delivery.c.seq.in_(acked))
                    .values(status=DONE, done_at=now, lease_token=None, lease_expires_at=None)
                )
                counts["acked"] = len(acked)
            failures: list[tuple[int, int, Retry | Park]] = []
            numbers = {item.id: item.attempt for item in claim.envelopes}
            for envelope_id, outcome in settlements.items():
                seq = claim.offsets[envelope_id]
                if seq not in held or isinstance(outcome, Done):
                    continue
                _settle_one(connection, claim, seq, outcome, now)
                counts[_COUNTER[type(outcome)]] += 1
                self._count(claim, outcome)
                if isinstance(outcome, Retry | Park):
                    failures.append((seq, numbers[envelope_id], outcome))
            sql_admin.record_attempts(connection, claim.group, failures, now)
        metrics.ACKED.labels(claim.topic, claim.group).inc(counts["acked"])
        if lost:
            metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost))
            log.warning("leases lost", topic=claim.topic, group=claim.group, envelopes=lost)
        return SettleReport(lost=lost, **counts)

    @staticmethod
    def _count(claim: Claim, outcome: Settlement) -> None:
        if isinstance(outcome, Retry):
            metrics.RETRIED.labels(claim.topic, claim.group, outcome.error_class).inc()
        elif isinstance(outcome, Park):
            metrics.PARKED.labels(claim.topic, claim.group, outcome.error_class).inc()

    # -- operations (dead letters, replay, stats) ------------------------------------------

    def dead_letters(
        self, *, topic: str | None = None, group: str | None = None, status: str = "parked",
        limit: int = 100,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        with self.engine.connect() as connection:
            return sql_admin.list_dead_letters(connection, topic, group, status, limit)

    def find_dead_letters(self, query: DeadLetterQuery) -> list[DeadLetter]:
        """Dead letters matching `query`, oldest first."""
        with self.engine.connect() as connection:
            return sql_admin.find_dead_letters(connection, query)

    def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter by id."""
        with self.engine.connect() as connection:
            return sql_admin.read_dead_letter(connection, dead_letter_id)

    def edit_dead_letter(self, dead_letter_id: int, payload: Mapping[str, Any]) -> DeadLetter:
        """Replace the payload a replay will deliver."""
        with write_transaction(self.engine) as connection:
            return sql_admin.edit_dead_letter(connection, dead_letter_id, payload, self.clock())

    def replay_dead_letter(self, dead_letter_id: int) -> str:
        """Append the (edited) envelope at the tail of its partition for its group only."""
        with write_transaction(self.engine) as connection:
            return sql_admin.replay_dead_letter(connection, dead_letter_id, self.clock())

    def discard_dead_letter(self, dead_letter_id: int) -> None:
        """Close a dead letter without replaying it."""
        with write_transaction(self.engine) as connection:
            sql_admin.discard_dead_letter(connection, dead_letter_id, self.clock())

    def replay(
        self, topic: str, group: str, *, from_offset: int | None = None,
        since: datetime | None = None, until_offset: int | None = None,
    ) -> int:
        """Deliver handled envelopes of a log range to the group again, in their order."""
        with write_transaction(self.engine) as connection:
            return sql_admin.replay_range(
                connection, topic, group, self.clock(), from_offset, since, until_offset
            )

    def stats(self, topic: str | None = None) -> list[TopicStats]:
        """Depth and lag per topic and consumer group; also updates the lag gauges."""
        with self.engine.connect() as connection:
            found = sql_admin.topic_stats(connection, topic, self.clock())
        for item in found:
            metrics.observe(item)
        return found

    def prune(self, older_than: datetime) -> int:
        """Delete log entries older than `older_than` that every group has finished with."""
        with write_transaction(self.engine) as connection:
            return sql_admin.prune(connection, older_than)


_COUNTER: dict[type, str] = {Retry: "retried", Park: "parked", Release: "released"}


def _held(claim: Claim) -> tuple[Any, ...]:
    """Conditions matching the deliveries this claim still leases."""
    return (
        delivery.c.consumer_group == claim.group,
        delivery.c.seq.in_(list(claim.offsets.values())),
        delivery.c.status == LEASED,
        delivery.c.lease_token == claim.token,
    )


def _same_partition(alias: Any) -> Any:
    """Rows of `alias` in the same group, topic and partition as the outer delivery."""
    return and_(
        alias.c.consumer_group == delivery.c.consumer_group,
        alias.c.topic == delivery.c.topic,
        alias.c.partition_key == delivery.c.partition_key,
    )


def _pending(alias: Any) -> Any:
    """`status IN ('ready', 'leased')` with inline literals, matching the partial index."""
    return alias.c.status.in_([literal_column(f"'{READY}'"), literal_column(f"'{LEASED}'")])


def _heads() -> Any:
    """Offsets of due partition heads: no earlier pending delivery, no other live lease.
    Parameters: w_group, w_topic, w_now, w_limit; built once, at import.

    The head test is a scalar subquery with LIMIT 1 rather than NOT EXISTS: planners cannot
    turn it into a join, so it always probes the (group, topic, partition, seq) index, even
    before PostgreSQL has statistics for a freshly filled table.
    """
    now = bindparam("w_now", type_=delivery.c.available_at.type)
    earlier = delivery.alias("earlier")
    other = delivery.alias("other")
    due = or_(
        and_(delivery.c.status == READY, delivery.c.available_at <= now),
        and_(delivery.c.status == LEASED, delivery.c.lease_expires_at <= now),
    )
    head = (
        select(earlier.c.seq)
        .where(_same_partition(earlier), _pending(earlier))
        .order_by(earlier.c.seq)
        .limit(1)
        .scalar_subquery()
    )
    live_lease = (
        select(other.c.seq)
        .where(
            _same_partition(other),
            other.c.status == literal_column(f"'{LEASED}'"),
            other.c.lease_expires_at > now,
            other.c.seq != delivery.c.seq,
        )
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(delivery.c.seq)
        .where(
            delivery.c.consumer_group == bindparam("w_group"),
            delivery.c.topic == bindparam("w_topic"),
            _pending(delivery),
            due,
            delivery.c.seq == head,
            live_lease.is_(None),
        )
        .order_by(delivery.c.seq)
        .limit(bindparam("w_limit"))
    )


_HEADS = _heads()


def _settle_one(
    connection: Connection, claim: Claim, seq: int, outcome: Settlement, now: datetime
) -> None:
    """Apply a retry, park or release to one held delivery."""
    where = (delivery.c.consumer_group == claim.group, delivery.c.seq == seq)
    cleared = {"lease_token": None, "lease_expires_at": None}
    if isinstance(outcome, Retry):
        connection.execute(
            update(delivery)
            .where(*where)
            .values(
                status=READY,
                available_at=now + timedelta(seconds=outcome.delay),
                error_class=str(outcome.error_class),
                last_error=outcome.reason,
                **cleared,
            )
        )
    elif isinstance(outcome, Release):
        connection.execute(
            update(delivery)
            .where(*where)
            .values(status=READY, attempts=delivery.c.attempts - 1, **cleared)
        )
    elif isinstance(outcome, Park):
        sql_admin.record_dead_letter(connection, claim.topic, claim.group, seq, outcome, now)
        connection.execute(
            update(delivery)
            .where(*where)
            .values(
                status=PARKED,
                error_class=str(outcome.error_class),
                last_error=outcome.reason,
                **cleared,
            )
        )
