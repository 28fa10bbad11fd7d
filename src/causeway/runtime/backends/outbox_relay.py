"""The outbox relay shared by broker backends: committed envelopes in SQL, forwarded in order.

Publishing writes the envelope and a `runtime_relay` row in the caller's transaction, so an
envelope reaches the broker only if its transaction committed. A pass reads queued rows in
id order, hands them to the broker's `forward` (which returns once the broker has stored
them), then deletes the rows. A crash between the two re-sends them; each broker drops the
copies by message id within its deduplication window.

One pass runs at a time across processes (the SQLite write lock, a PostgreSQL advisory
lock): two relays interleaving could store a later envelope of a bucket before an earlier.
Brokers may take the same lock (`locked`) for work that must not interleave with a pass.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import orjson
import structlog
from sqlalchemy import Connection, Engine, delete, insert, select, text

from causeway.runtime.backends.sql_dialect import as_utc, is_sqlite, write_transaction
from causeway.store.tables.runtime import envelope, relay

log = structlog.get_logger("causeway.runtime")

_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"causeway-relay", digest_size=8).digest(), "big", signed=True
)


class Queued(NamedTuple):
    """One envelope to forward: the broker's deduplication id, its target group, the log row."""

    message_id: str
    target_group: str | None
    row: Any


Forward = Callable[[Connection, Sequence[Queued]], None]
"""Store the rows on the broker, in order, before returning; runs inside the pass's lock."""


def envelope_body(row: Any) -> bytes:
    """The envelope as `Envelope.to_json` writes it, from the log row without re-parsing."""
    return orjson.dumps(
        {
            "id": row.id,
            "kind": row.kind,
            "source": row.source,
            "entity": row.entity,
            "key": row.business_key,
            "partition_key": row.partition_key,
            "idempotency_key": row.idempotency_key,
            "payload": orjson.Fragment(row.payload),
            "headers": orjson.Fragment(row.headers),
            "created_at": as_utc(row.created_at),
            "attempt": 0,
        }
    )


def enqueue(
    connection: Connection,
    topic: str,
    stored: Sequence[tuple[int, str]],
    now: datetime,
    *,
    target_group: str | None = None,
) -> None:
    """Queue log entries (seq, message id) for the relay, in the caller's transaction."""
    if not stored:
        return
    rows = [
        {
            "seq": seq,
            "topic": topic,
            "message_id": message_id,
            "target_group": target_group,
            "created_at": now,
        }
        for seq, message_id in stored
    ]
    connection.execute(insert(relay), rows)


def logged_rows(connection: Connection, seqs: Sequence[int]) -> dict[int, Any]:
    """Log rows by offset, read by primary key within the batch's range.

    On a log that grew since its last statistics, a join or a bare IN list was planned as a
    scan of the whole log, for every pass; a range the planner reads as narrow avoids that.
    """
    if not seqs:
        return {}
    return {
        row.seq: row
        for row in connection.execute(
            select(envelope).where(
                envelope.c.seq.between(min(seqs), max(seqs)), envelope.c.seq.in_(seqs)
            )
        )
    }


class OutboxRelay:
    """Forwards queued envelopes; `flush` on demand, a background thread for the rest."""

    def __init__(
        self,
        engine: Engine,
        forward: Forward,
        *,
        batch: int = 500,
        min_interval: float = 0.02,
        max_interval: float = 0.5,
    ) -> None:
        self.engine = engine
        self.forward = forward
        self.batch = batch
        self.min_interval = min_interval
        self.max_interval = max_interval
        self._pass_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._eager_until = 0.0
        self._thread = threading.Thread(target=self._run, name="causeway-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread after its current pass."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def kick(self) -> None:
        """An outbox transaction may commit soon: poll often for a couple of seconds."""
        self._eager_until = time.monotonic() + 2.0
        self._wake.set()

    def flush(self) -> int:
        """Forward everything committed so far; returns how many rows were forwarded."""
        total = 0
        while True:
            forwarded = self._pass()
            total += forwarded
            if forwarded < self.batch:
                return total

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A write transaction holding the relay lock of every process sharing the database."""
        with self._pass_lock, write_transaction(self.engine) as connection:
            if not is_sqlite(connection):
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield connection

    def _pass(self) -> int:
        with self.locked() as connection:
            queued = connection.execute(
                select(relay.c.id, relay.c.seq, relay.c.message_id, relay.c.target_group)
                .order_by(relay.c.id)
                .limit(self.batch)
            ).all()
            if not queued:
                return 0
            logged = logged_rows(connection, [q.seq for q in queued])
            rows = [Queued(q.message_id, q.target_group, logged[q.seq]) for q in queued]
            self.forward(connection, rows)
            connection.execute(delete(relay).where(relay.c.id.in_([q.id for q in queued])))
        log.debug("relayed", count=len(rows))
        return len(rows)

    def _run(self) -> None:
        interval = self.min_interval
        while not self._stopping.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                forwarded = self.flush()
            except Exception:  # the broker or the database may be briefly away; try again
                log.exception("relay pass failed")
                forwarded = 0
            if forwarded or time.monotonic() < self._eager_until:
                interval = self.min_interval
            else:
                interval = min(interval * 2, self.max_interval)
