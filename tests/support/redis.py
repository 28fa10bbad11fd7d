"""A real Redis server for tests: reachability, and a key prefix per test.

Tests share the server and run in parallel, so each works under a prefix of its own and
deletes its keys afterwards; nothing here flushes or restarts the server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

REDIS_URL = os.environ.get("CAUSEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> None:
    """Skip when Redis is not reachable, except in CI, where that is a failure."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI: {error}")
        pytest.skip(f"Redis not reachable on {REDIS_URL}: {error}")
    finally:
        client.close()


def delete_prefix(prefix: str) -> int:
    """Delete every key under `prefix:`; returns how many there were."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


@contextmanager
def throwaway_prefix() -> Iterator[str]:
    """A key prefix of its own; its keys are deleted afterwards."""
    redis_or_skip()
    prefix = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        delete_prefix(prefix)
