"""The RabbitMQ side of the broker backend: names on the broker, the connection, topology.

The backbone protocol is synchronous and aio-pika is asyncio, so each backbone owns one
asyncio loop in a daemon thread and calls into it with `run_coroutine_threadsafe` (as the
JetStream link does). The layout (a direct exchange per topic, a quorum queue per topic,
group and bucket) is decided here and nowhere else, so every process derives the same names
from the same settings. Buckets hash like JetStream's and Redis's (blake2b of the partition
key mod N), so every broker splits a topic into the same ordered lanes.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, ExchangeType
from pamqp.commands import Basic

T = TypeVar("T")

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
SEQ_HEADER = "causeway-seq"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class RabbitLayout:
    """Names `<prefix>.<topic>` (exchange) and `<prefix>.<topic>.<group>.<bucket>` (queues).

    `buckets` must be the same in every process sharing the broker: it decides which
    queue, and so which ordered lane, a partition key belongs to.
    """

    prefix: str = "causeway"
    buckets: int = 32

    def bucket(self, partition_key: str) -> int:
        """A stable bucket for the key (not Python's salted `hash`)."""
        digest = hashlib.blake2b(partition_key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.buckets

    def exchange(self, topic: str) -> str:
        return f"{self.prefix}.{_token(topic)}"

    def queue(self, topic: str, group: str, bucket: int) -> str:
        return f"{self.exchange(topic)}.{_token(group)}.{bucket}"

    def queues(self, topic: str, group: str) -> list[str]:
        return [self.queue(topic, group, bucket) for bucket in range(self.buckets)]

    def routing_key(self, bucket: int, target_group: str | None = None) -> str:
        """Every group's queue of the bucket, or only `target_group`'s (a replay)."""
        return str(bucket) if target_group is None else f"{bucket}.{_token(target_group)}"


def _token(name: str) -> str:
    """A name-safe token that stays distinct for names differing in punctuation."""
    digest = hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
    return f"{_UNSAFE.sub('_', name)}-{digest}"


QUEUE_ARGUMENTS: dict[str, Any] = {
    "x-queue-type": "quorum",
    "x-single-active-consumer": True,
}
"""Replicated, and one consumer at a time across every process: the bucket's order."""


class Outgoing(NamedTuple):
    """One envelope for the exchange: message id, log offset, routing key, JSON body."""

    message_id: str
    seq: int
    routing_key: str
    body: bytes


class Link:
    """One AMQP connection driven by a private loop thread; `call` runs a coroutine there.

    A connection that dropped is opened again by the next call that needs it; `generation`
    counts the connections, so holders of deliveries can tell theirs are gone.
    """

    def __init__(self, url: str, layout: RabbitLayout, *, timeout: float = 10.0) -> None:
        self.url = url
        self.layout = layout
        self.timeout = timeout
        self.generation = 0
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="causeway-rabbitmq", daemon=True
        )
        self._thread.start()
        self._connection: AbstractConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._inspector: AbstractChannel | None = None  # passive declares for stats
        self._exchanges: set[str] = set()
        self._lock = asyncio.Lock()
        try:
            self.call(self.connection())
        except BaseException:
            self._stop_loop()
            raise

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the link's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout if timeout is not None else self.timeout * 3)

    def close(self) -> None:
        """Close the connection, then stop and join the loop thread."""
        if not self._thread.is_alive():
            return
        try:
            if self._connection is not None and not self._connection.is_closed:
                self.call(self._connection.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    # -- connection (coroutines, run on the loop) ----------------------------------------

    async def connection(self) -> AbstractConnection:
        """The open connection, opened anew if it dropped."""
        async with self._lock:
            if self._connection is None or self._connection.is_closed:
                self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
                self._publisher = None
                self._exchanges.clear()
                self.generation += 1
            return self._connection

    async def channel(self) -> AbstractChannel:
        """A new channel on the open connection (consumers of one topic and group use one)."""
        connection = await self.connection()
        return await connection.channel(publisher_confirms=False)

    async def publisher(self) -> AbstractChannel:
        """The channel with publisher confirms that the relay and topology calls use."""
        connection = await self.connection()
        if self._publisher is None or self._publisher.is_closed:
            self._publisher = await connection.channel(publisher_confirms=True)
            self._exchanges.clear()
        return self._publisher

    # -- topology ------------------------------------------------------------------------

    async def ensure_exchange(self, topic: str) -> None:
        """The topic's direct exchange: a message goes to the queues bound to its key."""
        name = self.layout.exchange(topic)
        if name in self._exchanges:
            return
        channel = await self.publisher()
        await channel.declare_exchange(name, ExchangeType.DIRECT, durable=True)
        self._exchanges.add(name)

    async def ensure_queues(self, topic: str, group: str) -> None:
        """The group's quorum queue per bucket, bound to its bucket's keys."""
        await self.ensure_exchange(topic)
        channel = await self.publisher()
        exchange = self.layout.exchange(topic)
        for bucket in range(self.layout.buckets):
            queue = await channel.declare_queue(
                self.layout.queue(topic, group, bucket), durable=True,
                arguments=QUEUE_ARGUMENTS,
            )
            await queue.bind(exchange, self.layout.routing_key(bucket))
            await queue.bind(exchange, self.layout.routing_key(bucket, group))

    async def ready_counts(self, topic: str, group: str) -> list[int]:
        """Messages waiting in each of the group's queues (not those delivered, unacked)."""
        connection = await self.connection()
        if self._inspector is None or self._inspector.is_closed:
            self._inspector = await connection.channel(publisher_confirms=False)
        counts = []
        for name in self.layout.queues(topic, group):
            queue = await self._inspector.declare_queue(name, passive=True)
            counts.append(int(queue.declaration_result.message_count or 0))
        return counts

    # -- publish -------------------------------------------------------------------------

    async def publish(self, topic: str, rows: Sequence[Outgoing]) -> None:
        """Publish in order on one channel, then wait for every confirm.

        The publishes are queued on the channel's lock in the order given, so the broker
        stores them in that order; a nack or a dropped connection raises.
        """
        await self.ensure_exchange(topic)
        channel = await self.publisher()
        underlay = await channel.get_underlay_channel()
        exchange = self.layout.exchange(topic)
        sends = [
            asyncio.ensure_future(
                underlay.basic_publish(
                    row.body,
                    exchange=exchange,
                    routing_key=row.routing_key,
                    properties=aiormq.spec.Basic.Properties(
                        message_id=row.message_id,
                        delivery_mode=2,
                        content_type="application/json",
                        headers={SEQ_HEADER: row.seq},
                    ),
                    timeout=self.timeout,
                )
            )
            for row in rows
        ]
        confirms = await asyncio.gather(*sends)
        for confirm in confirms:
            if not isinstance(confirm, Basic.Ack):
                raise RuntimeError(f"RabbitMQ did not confirm a publish to {exchange}: {confirm}")

    async def delete(self, topic: str, groups: Sequence[str]) -> None:
        """Delete the topic's exchange and the groups' queues (tests and benchmarks)."""
        channel = await self.channel()
        try:
            for group in groups:
                for name in self.layout.queues(topic, group):
                    await channel.queue_delete(name)
            await channel.exchange_delete(self.layout.exchange(topic))
        finally:
            await channel.close()
        self._exchanges.discard(self.layout.exchange(topic))
