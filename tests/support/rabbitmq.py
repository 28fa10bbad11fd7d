"""A real RabbitMQ server for tests: reachability, and a name prefix per test.

Tests share the server and run in parallel, so each names its exchanges and queues under a
prefix of its own and deletes them afterwards; nothing here resets or restarts the server.
AMQP cannot list queues by prefix, so the queues to delete are derived from the layout and
the subscriptions the test's database holds.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import aio_pika
import pytest
from sqlalchemy import Engine, select

from causeway.runtime.backends.rabbitmq_link import RabbitLayout
from causeway.store.tables.runtime import subscription

AMQP_URL = os.environ.get("CAUSEWAY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on a loop of its own in another thread: async tests already run a loop here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def rabbitmq_or_skip() -> None:
    """Skip when RabbitMQ is not reachable, except in CI, where that is a failure."""

    async def probe() -> None:
        connection = await aio_pika.connect(AMQP_URL, timeout=3)
        await connection.close()

    try:
        _run(probe())
    except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"RabbitMQ is required in CI: {error!r}")
        pytest.skip(f"RabbitMQ not reachable on {AMQP_URL}: {error!r}")


def delete_layout(layout: RabbitLayout, groups: dict[str, set[str]]) -> None:
    """Delete each topic's exchange and its groups' bucket queues."""

    async def run() -> None:
        connection = await aio_pika.connect(AMQP_URL, timeout=10)
        try:
            channel = await connection.channel()
            for topic, names in groups.items():
                for group in names:
                    for queue in layout.queues(topic, group):
                        await channel.queue_delete(queue)
                await channel.exchange_delete(layout.exchange(topic))
        finally:
            await connection.close()

    if groups:
        _run(run())


def subscribed(engine: Engine) -> dict[str, set[str]]:
    """Topic -> groups, as the database lists them."""
    found: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for topic, group in connection.execute(
            select(subscription.c.topic, subscription.c.consumer_group)
        ):
            found[topic].add(group)
    return found


@contextmanager
def throwaway_layout(engine: Engine, buckets: int = 32) -> Iterator[RabbitLayout]:
    """A layout under a prefix of its own; what the engine's subscriptions declared under it
    is deleted afterwards."""
    rabbitmq_or_skip()
    layout = RabbitLayout(prefix=f"t{uuid.uuid4().hex[:12]}", buckets=buckets)
    try:
        yield layout
    finally:
        delete_layout(layout, subscribed(engine))
