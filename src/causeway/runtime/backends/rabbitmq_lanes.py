"""The consumers of one topic and group in one process: a lane per bucket queue.

Each bucket queue is a quorum queue with a single active consumer, and every lane consumes
with a prefetch of one: the broker hands a bucket's next message to one process only, and
only once the previous one was acked or given back, so a bucket keeps its order however
many processes claim. The lane keeps the delivered message until a claim takes it, the
claim's lease, and a retry's delay. A message is never handed back to the broker while
the process lives: a quorum queue puts a nacked message at the back of the queue (RabbitMQ
3.10), which would break the bucket's order. A retry, a lease that ran out or a release
keeps it unacked, so the bucket stays held, and hands it to a later claim from memory. Only
a closed channel or connection (shutdown, a crash) gives messages back, and those go back
to the head of their queues.

A lane that finished `rotate_after` messages cancels its consumer before the ack and
consumes again: a process waiting on the queue becomes the active consumer, so processes
take turns on the buckets instead of the first one keeping them all.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from causeway.runtime.backends.rabbitmq_link import Link

log = structlog.get_logger("causeway.runtime")


class Taken(NamedTuple):
    """A message a claim took: its bucket, the delivery, and how many times this process
    handed it out before (retries and leases that ran out; releases not counted)."""

    bucket: int
    message: AbstractIncomingMessage
    again: int


class _Ready(NamedTuple):
    message: AbstractIncomingMessage
    again: int


class Settle(NamedTuple):
    """What to do with one held delivery: `ack`, `retry` (after `delay`) or `release`."""

    bucket: int
    action: str
    delay: float = 0.0


@dataclass(slots=True)
class _Hold:
    token: str
    message: AbstractIncomingMessage
    again: int
    expiry: asyncio.TimerHandle


@dataclass(slots=True)
class Lanes:
    """The lanes of one (topic, group); every method runs on the link's loop."""

    link: Link
    topic: str
    group: str
    rotate_after: int = 16
    generation: int = -1
    channel: AbstractChannel | None = None
    queues: dict[int, AbstractQueue] = field(default_factory=dict)
    consumers: dict[int, str] = field(default_factory=dict)
    buffer: dict[int, _Ready] = field(default_factory=dict)
    held: dict[int, _Hold] = field(default_factory=dict)
    waiting: dict[int, asyncio.TimerHandle] = field(default_factory=dict)
    handled: dict[int, int] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)  # concurrent claims

    @property
    def alive(self) -> bool:
        return (
            self.channel is not None
            and not self.channel.is_closed
            and self.generation == self.link.generation
        )

    async def open(self) -> None:
        """Consume on every bucket queue; after a lost connection, start over."""
        async with self.opening:
            await self._open()

    async def _open(self) -> None:
        if self.alive:
            for bucket in range(self.link.layout.buckets):
                if bucket not in self.consumers:
                    await self._consume(bucket)
            return
        self._forget()
        await self.link.connection()
        self.generation = self.link.generation
        self.channel = await self.link.channel()
        await self.channel.set_qos(prefetch_count=1)  # per consumer: one message per bucket
        for bucket in range(self.link.layout.buckets):
            self.queues[bucket] = await self.channel.get_queue(
                self.link.layout.queue(self.topic, self.group, bucket), ensure=False
            )
            await self._consume(bucket)

    def _forget(self) -> None:
        """Drop what belonged to a channel that is gone (the broker gave it all back)."""
        for hold in self.held.values():
            hold.expiry.cancel()
        for timer in self.waiting.values():
            timer.cancel()
        self.queues.clear()
        self.consumers.clear()
        self.buffer.clear()
        self.held.clear()
        self.waiting.clear()
        self.handled.clear()

    async def _consume(self, bucket: int) -> None:
        tag = await self.queues[bucket].consume(partial(self._arrive, bucket), no_ack=False)
        self.consumers[bucket] = tag
        self.handled[bucket] = 0

    async def _arrive(self, bucket: int, message: AbstractIncomingMessage) -> None:
        self.buffer[bucket] = _Ready(message, 0)
        self.arrived.set()

    async def take(
        self, token: str, most: int, lease: float, *, wait: float, grace: float
    ) -> list[Taken]:
        """Up to `most` delivered messages of free buckets, leased to `token`.

        Waits up to `wait` for a first one, then `grace` for others arriving with it.
        """
        await self.open()
        if not self._free():
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), wait)
            except TimeoutError:
                return []
            await asyncio.sleep(grace)
        free = self._free()
        random.shuffle(free)
        taken = []
        loop = asyncio.get_running_loop()
        for bucket in free[:most]:
            message, again = self.buffer.pop(bucket)
            expiry = loop.call_later(lease, self._expire, bucket, token)
            self.held[bucket] = _Hold(token, message, again, expiry)
            taken.append(Taken(bucket, message, again))
        return taken

    def _free(self) -> list[int]:
        return [b for b in self.buffer if b not in self.held and b not in self.waiting]

    def _expire(self, bucket: int, token: str) -> None:
        """The lease ran out: the next claim gets the message again, as a new attempt."""
        hold = self.held.get(bucket)
        if hold is None or hold.token != token:
            return
        del self.held[bucket]
        self._ready(bucket, hold.message, hold.again + 1)

    def _ready(self, bucket: int, message: AbstractIncomingMessage, again: int) -> None:
        self.buffer[bucket] = _Ready(message, again)
        self.arrived.set()

    async def renew(self, token: str, buckets: Sequence[int], lease: float) -> list[bool]:
        """Restart the lease of each bucket the token still holds."""
        loop = asyncio.get_running_loop()
        renewed = []
        for bucket in buckets:
            hold = self.held.get(bucket)
            ok = hold is not None and hold.token == token and self.alive
            if hold is not None and ok:
                hold.expiry.cancel()
                hold.expiry = loop.call_later(lease, self._expire, bucket, token)
            renewed.append(ok)
        return renewed

    async def settle(self, token: str, plan: Sequence[Settle]) -> list[bool]:
        """Apply each settlement the token still holds; False where the lease passed."""
        applied = []
        acks = []
        loop = asyncio.get_running_loop()
        for bucket, action, delay in plan:
            hold = self.held.get(bucket)
            if hold is None or hold.token != token or not self.alive:
                applied.append(False)
                continue
            hold.expiry.cancel()
            del self.held[bucket]
            if action == "ack":
                acks.append(self._finish(bucket, hold.message))
            elif action == "retry":
                self.waiting[bucket] = loop.call_later(
                    max(delay, 0.0), self._due, bucket, hold.message, hold.again + 1
                )
            else:
                self._ready(bucket, hold.message, hold.again)
            applied.append(True)
        await asyncio.gather(*acks)  # one write each, sent together
        return applied

    async def _finish(self, bucket: int, message: AbstractIncomingMessage) -> None:
        """Ack; every `rotate_after` messages, first let a waiting process take the bucket.

        The consumer is cancelled before the ack, so the broker hands the bucket's next
        message to the next consumer and not to this one; the effects of this message are
        done (and recorded in SQL) already, so order holds either way.
        """
        self.handled[bucket] = self.handled.get(bucket, 0) + 1
        if self.handled[bucket] < self.rotate_after or self.channel is None:
            await message.ack()
            return
        tag = self.consumers.pop(bucket, None)
        if tag is not None:
            await self.queues[bucket].cancel(tag)
        await message.ack()
        await self._consume(bucket)

    def _due(self, bucket: int, message: AbstractIncomingMessage, again: int) -> None:
        """A retry's delay passed: the next claim gets the message."""
        self.waiting.pop(bucket, None)
        if self.alive:
            self._ready(bucket, message, again)

    async def unclaimed(self) -> list[AbstractIncomingMessage]:
        """Messages here that no claim holds (given back when the connection closes)."""
        if not self.alive:
            return []
        return [ready.message for ready in self.buffer.values()]

    @property
    def buffered(self) -> int:
        return len(self.buffer) if self.alive else 0
