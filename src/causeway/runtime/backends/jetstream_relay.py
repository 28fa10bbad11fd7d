"""The outbox relay: committed envelopes in SQL, forwarded to JetStream in log order.

Publishing writes the envelope and a `runtime_relay` row in the caller's transaction, so an
envelope reaches the broker only if its transaction committed. The relay forwards rows in
id order with `Nats-Msg-Id` set, waits for the stream's acks, then deletes the rows. A crash
between the two re-sends them; JetStream drops the copies within its duplicate window.

One relay pass runs at a time across processes (the SQLite write lock, a PostgreSQL advisory
lock): two relays interleaving could store a later envelope of a bucket before an earlier.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine, delete, insert, select, text

from causeway.runtime.backends.jetstream_link import Layout, Link
from causeway.runtime.backends.sql_dialect import as_utc, is_sqlite, write_transaction
from causeway.store.tables.runtime import envelope, relay

log = structlog.get_logger("causeway.runtime")

SEQ_HEADER = "Causeway-Seq"
GROUP_HEADER = "Causeway-Group"
_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"causeway-relay", digest_size=8).digest(), "big", signed=True
)


def _body(row: Any) -> bytes:
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


class Relay:
    """Forwards queued envelopes; `flush` on demand, a background thread for the rest."""

    def __init__(
        self,
        engine: Engine,
        link: Link,
        layout: Layout,
        *,
        batch: int = 500,
        min_interval: float = 0.02,
        max_interval: float = 0.5,
    ) -> None:
        self.engine = engine
        self.link = link
        self.layout = layout
        self.batch = batch
        self.min_interval = min_interval
        self.max_interval = max_interval
        self._streams: set[str] = set()
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

    def _pass(self) -> int:
        with self._pass_lock, write_transaction(self.engine) as connection:
            if not is_sqlite(connection):
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            queued = connection.execute(
                select(relay.c.id, relay.c.seq, relay.c.message_id, relay.c.target_group)
                .order_by(relay.c.id)
                .limit(self.batch)
            ).all()
            if not queued:
                return 0
            # By primary key, with a range the planner reads as narrow: on a log that grew
            # since its last statistics, a join or a bare IN list was planned as a scan of
            # the whole log, for every pass.
            seqs = [q.seq for q in queued]
            logged = {
                row.seq: row
                for row in connection.execute(
                    select(envelope).where(
                        envelope.c.seq.between(min(seqs), max(seqs)), envelope.c.seq.in_(seqs)
                    )
                )
            }
            rows = [(q.message_id, q.target_group, logged[q.seq]) for q in queued]
            self.link.call(self._forward(rows))
            connection.execute(delete(relay).where(relay.c.id.in_([q.id for q in queued])))
        log.debug("relayed", count=len(rows))
        return len(rows)

    async def _forward(self, rows: Sequence[tuple[str, str | None, Any]]) -> None:
        """Publish in order on one connection (the server keeps it), then await every ack.

        `rows` are (message id, target group, log row).
        """
        for topic in {row.topic for _, _, row in rows}:
            if topic not in self._streams:
                await self.link.ensure_stream(self.layout, topic)
                self._streams.add(topic)
        acks = []
        for message_id, target_group, row in rows:
            headers = {"Nats-Msg-Id": message_id, SEQ_HEADER: str(row.seq)}
            if target_group is not None:
                headers[GROUP_HEADER] = target_group
            subject = self.layout.subject(row.topic, self.layout.bucket(row.partition_key))
            acks.append(await self.link.js.publish_async(subject, _body(row), headers=headers))
        await asyncio.gather(*acks)

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
