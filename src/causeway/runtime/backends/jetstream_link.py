"""The JetStream side of the broker backend: a private event loop, the connection, the layout.

The backbone protocol is synchronous and nats-py is asyncio, so each backbone owns one
asyncio loop in a daemon thread and calls into it with `run_coroutine_threadsafe`. The
layout (stream per topic, subject and durable pull consumer per partition bucket) is decided
here and nowhere else, so every process derives the same names from the same settings.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    ConsumerInfo,
    DeliverPolicy,
    RetentionPolicy,
    StreamConfig,
)
from nats.js.errors import NotFoundError

T = TypeVar("T")

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class Layout:
    """Names on the broker: `<prefix>.<topic>.<bucket>` subjects in one stream per topic.

    `buckets` must be the same in every process sharing the broker: it decides which
    consumer, and so which ordered lane, a partition key belongs to.
    """

    prefix: str = "causeway"
    buckets: int = 32

    def bucket(self, partition_key: str) -> int:
        """A stable bucket for the key (not Python's salted `hash`)."""
        digest = hashlib.blake2b(partition_key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.buckets

    def stream(self, topic: str) -> str:
        return f"{_UNSAFE.sub('_', self.prefix)}_{_token(topic)}"

    def subject(self, topic: str, bucket: int) -> str:
        return f"{self.prefix}.{_token(topic)}.{bucket}"

    def durable(self, group: str, bucket: int) -> str:
        return f"{_token(group)}_{bucket}"


def _token(name: str) -> str:
    """A subject/stream-safe token that stays distinct for names differing in punctuation."""
    digest = hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
    return f"{_UNSAFE.sub('_', name)}-{digest}"


class Link:
    """One NATS connection driven by a private loop thread; `call` runs a coroutine there."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="causeway-jetstream", daemon=True
        )
        self._thread.start()
        try:
            self.nc: Client = self.call(nats.connect(url, connect_timeout=timeout))
        except BaseException:
            self._stop_loop()
            raise
        self.js: JetStreamContext = self.nc.jetstream(timeout=timeout)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the link's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout if timeout is not None else self.timeout * 3)

    def close(self) -> None:
        """Drain the connection, then stop and join the loop thread."""
        if not self._thread.is_alive():
            return
        try:
            self.call(self.nc.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    # -- layout on the server (coroutines, run on the loop) ------------------------------

    async def ensure_stream(self, layout: Layout, topic: str) -> None:
        """Create the topic's stream: interest retention, the SQL log is the history."""
        name = layout.stream(topic)
        try:
            await self.js.stream_info(name)
        except NotFoundError:
            config = StreamConfig(
                name=name,
                subjects=[f"{layout.prefix}.{_token(topic)}.*"],
                retention=RetentionPolicy.INTEREST,
            )
            await self.js.add_stream(config)

    async def ensure_consumer(
        self, layout: Layout, topic: str, group: str, bucket: int, ack_wait: float
    ) -> ConsumerInfo:
        """The group's pull consumer of one bucket; one envelope in flight keeps it ordered."""
        stream, durable = layout.stream(topic), layout.durable(group, bucket)
        try:
            info: ConsumerInfo = await self.js.consumer_info(stream, durable)
            return info
        except NotFoundError:
            config = ConsumerConfig(
                durable_name=durable,
                filter_subject=layout.subject(topic, bucket),
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                max_ack_pending=1,
                ack_wait=ack_wait,
                max_deliver=-1,
            )
            created: ConsumerInfo = await self.js.add_consumer(stream, config)
            return created

    async def set_ack_wait(
        self, layout: Layout, topic: str, group: str, bucket: int, ack_wait: float
    ) -> None:
        """Make the consumer's lease `ack_wait` seconds (a consumer update, not a new one)."""
        info = await self.ensure_consumer(layout, topic, group, bucket, ack_wait)
        if info.config.ack_wait is not None and abs(info.config.ack_wait - ack_wait) < 1e-3:
            return
        config = info.config
        config.ack_wait = ack_wait
        await self.js.add_consumer(layout.stream(topic), config)
