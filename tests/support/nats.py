"""A real NATS JetStream server for tests: reachability, and a stream prefix per test."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlparse

import nats
import pytest

NATS_URL = os.environ.get("CAUSEWAY_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_or_skip() -> None:
    """Skip when NATS is not reachable, except in CI, where that is a failure."""
    address = urlparse(NATS_URL)
    try:
        socket.create_connection((address.hostname, address.port or 4222), timeout=3).close()
    except OSError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"NATS is required in CI: {error}")
        pytest.skip(f"NATS not reachable on {NATS_URL}: {error}")


@contextmanager
def throwaway_prefix() -> Iterator[str]:
    """A subject and stream prefix of its own, so tests can share the server in parallel.

    The streams it created are deleted afterwards.
    """
    nats_or_skip()
    prefix = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        # In a thread of its own: the test may itself be running an event loop.
        with ThreadPoolExecutor(1) as apart:
            apart.submit(asyncio.run, _delete_streams(f"{prefix}_")).result()


async def _delete_streams(start: str) -> None:
    connection = await nats.connect(NATS_URL)
    try:
        jetstream = connection.jetstream()
        for info in await jetstream.streams_info():
            if info.config.name and info.config.name.startswith(start):
                await jetstream.delete_stream(info.config.name)
    finally:
        await connection.close()
