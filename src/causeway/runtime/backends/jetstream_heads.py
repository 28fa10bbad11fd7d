"""Asking a group's bucket consumers for their next envelopes, without waiting on idle ones.

A bucket that is empty, or whose head is in flight elsewhere, answers a pull request only
when it expires (`fetch_wait`): on nats-server 2.9 `no_wait` is ignored when an expiry is
given, and without one it lingers while `max_ack_pending` is reached. So a claim asks many
buckets at once and stops waiting once answers have stopped coming for `grace`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import NamedTuple

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from causeway.runtime.backends.jetstream_link import Layout, Link


class Head(NamedTuple):
    """A bucket's next envelope, and when its lease may have started (monotonic)."""

    bucket: int
    msg: Msg
    started: float


class Heads:
    """Pull subscriptions and outstanding requests of one backbone; runs on the link's loop."""

    def __init__(self, link: Link, layout: Layout, *, fetch_wait: float, grace: float) -> None:
        self.link = link
        self.layout = layout
        self.fetch_wait = fetch_wait
        self.grace = grace
        self._pulls: dict[tuple[str, str, int], JetStreamContext.PullSubscription] = {}
        self._requests: dict[tuple[str, str, int], asyncio.Future[tuple[Msg, float] | None]] = {}
        self._rng = random.Random()

    async def fetch(self, topic: str, group: str, max_batch: int) -> list[Head]:
        """The next envelope of up to `max_batch` buckets of the group.

        Buckets are visited from a random start so processes do not all wait on the same
        ones; a wave that finds nothing moves on to the next buckets until all were asked.
        """
        count = self.layout.buckets
        start = self._rng.randrange(count)
        order = [(start + step) % count for step in range(count)]
        # Buckets whose earlier request has answered meanwhile go first.
        order.sort(key=lambda bucket: not self._landed(topic, group, bucket))
        found: list[Head] = []
        while order and not found:
            wave, order = order[:max_batch], order[max_batch:]
            found = await self._wave(topic, group, wave)
        return found

    def _landed(self, topic: str, group: str, bucket: int) -> bool:
        request = self._requests.get((topic, group, bucket))
        return request is not None and request.done()

    async def _wave(self, topic: str, group: str, buckets: Sequence[int]) -> list[Head]:
        """Ask the buckets at once; once answers stop coming for `grace`, stop waiting.

        A request left running is not cancelled (that could drop a message it has just
        received); a later claim collects its answer, with the lease clock started when the
        request was sent.
        """
        requests: dict[asyncio.Future[tuple[Msg, float] | None], int] = {}
        for bucket in buckets:
            key = (topic, group, bucket)
            request = self._requests.get(key)
            if request is None:
                request = asyncio.ensure_future(self._head(topic, group, bucket))
                self._requests[key] = request
            requests[request] = bucket
        pending = set(requests)
        deadline: float | None = None
        while pending:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            done, pending = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if any(task.result() is not None for task in done):
                deadline = time.monotonic() + self.grace  # more may be on their way
            if deadline is not None and time.monotonic() >= deadline:
                break
        found: list[Head] = []
        for request, bucket in requests.items():
            if request.done():
                del self._requests[(topic, group, bucket)]
                head = request.result()
                if head is not None:
                    found.append(Head(bucket, *head))
        return found

    async def _head(self, topic: str, group: str, bucket: int) -> tuple[Msg, float] | None:
        """The bucket's next envelope, or None when it is empty or its head is in flight."""
        started = time.monotonic()
        key = (topic, group, bucket)
        pull = self._pulls.get(key)
        if pull is None:
            pull = await self.link.js.pull_subscribe_bind(
                durable=self.layout.durable(group, bucket), stream=self.layout.stream(topic)
            )
            self._pulls[key] = pull
        try:
            [msg] = await pull.fetch(1, timeout=self.fetch_wait)
        except nats.errors.TimeoutError:
            return None
        return msg, started

    async def unclaimed(self) -> list[tuple[str, Msg]]:
        """(group, message) of answers no claim collected: they hold their bucket."""
        requests, self._requests = self._requests, {}
        heads = await asyncio.gather(*requests.values())
        return [
            (group, head[0])
            for (_, group, _), head in zip(requests, heads, strict=True)
            if head is not None
        ]
