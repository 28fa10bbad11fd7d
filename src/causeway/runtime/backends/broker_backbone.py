"""What every broker backend shares: its SQL side (outbox, log, dead letters, pauses).

A broker backend keeps envelopes, dead letters and subscription state in SQL, exactly as the
SQL backend does, and uses its broker only to hand deliveries out in order. So publishing
(log + outbox in the caller's transaction, relayed after commit), pausing, and every
dead-letter operation are the same on JetStream, Redis Streams and RabbitMQ; they live here
once. Each backend adds claim, renew, settle, replay and stats on its broker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import structlog
from sqlalchemy import Connection, Engine

from causeway.observe.tracing import stamped
from causeway.runtime import metrics
from causeway.runtime.backbone import (
    Claim,
    DeadLetter,
    DeadLetterQuery,
    Settlement,
    SettleReport,
)
from causeway.runtime.backends import broker_sql
from causeway.runtime.backends.outbox_relay import OutboxRelay, enqueue
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.backends.sql_log import append
from causeway.runtime.envelope import Envelope

log = structlog.get_logger("causeway.runtime")


class BrokerBackbone:
    """The SQL side of a broker backend; subclasses set `relay` and add the broker side."""

    engine: Engine
    clock: Callable[[], datetime]
    relay: OutboxRelay
    _sql: SqlBackbone

    def close(self) -> None:
        """Stop the relay and let go of the broker."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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

    @staticmethod
    def _all_lost(claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        lost = tuple(settlements)
        metrics.LEASES_LOST.labels(claim.topic, claim.group).inc(len(lost))
        return SettleReport(lost=lost)

    # -- dead letters and retention ------------------------------------------------------

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

    def prune(self, older_than: datetime) -> int:
        """Delete log entries older than `older_than` that no dead letter or relay needs."""
        return self._sql.prune(older_than)
