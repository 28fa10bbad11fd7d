"""The Redis side of the Redis Streams backend: key layout and one call per script.

The layout is decided here and nowhere else, so every process derives the same keys from
the same settings. Buckets hash like JetStream's (blake2b of the partition key mod N), so
both brokers split a topic into the same ordered lanes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import redis

from causeway.runtime.backends import redis_scripts

DEFAULT_URL = "redis://127.0.0.1:6379/0"
CONSUMER = "causeway"
"""One consumer name for every process: who holds an entry is the hold's token, not this."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_CHUNK = 500  # rows per forward call: bounded arguments, short scripts


@dataclass(frozen=True, slots=True)
class RedisLayout:
    """Keys `<prefix>:{<topic>}:...`; the braces put a topic's keys in one cluster slot.

    `buckets` must be the same in every process sharing the server: it decides which
    stream, and so which ordered lane, a partition key belongs to.
    """

    prefix: str = "causeway"
    buckets: int = 32

    def bucket(self, partition_key: str) -> int:
        """A stable bucket for the key (not Python's salted `hash`)."""
        digest = hashlib.blake2b(partition_key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.buckets

    def tag(self, topic: str) -> str:
        return f"{self.prefix}:{{{_token(topic)}}}"

    def stream(self, topic: str, bucket: int) -> str:
        return f"{self.tag(topic)}:{bucket}"

    def streams(self, topic: str) -> list[str]:
        return [self.stream(topic, bucket) for bucket in range(self.buckets)]

    def groups(self, topic: str) -> str:
        return f"{self.tag(topic)}:groups"

    def sent(self, topic: str) -> str:
        return f"{self.tag(topic)}:sent"

    def holds(self, topic: str, group: str) -> str:
        return f"{self.tag(topic)}:holds:{_token(group)}"


def _token(name: str) -> str:
    """A key-safe token that stays distinct for names differing in punctuation."""
    digest = hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
    return f"{_UNSAFE.sub('_', name)}-{digest}"


class Outgoing(NamedTuple):
    """One envelope for a stream: deduplication id, log offset, target group, JSON body."""

    message_id: str
    seq: int
    target_group: str | None
    partition_key: str
    body: bytes


class Entry(NamedTuple):
    """A claimed stream entry: its bucket, id, delivery count and fields."""

    bucket: int
    entry_id: str
    deliveries: int
    fields: dict[str, bytes]


class Settle(NamedTuple):
    """What to do with one held entry: `ack`, `retry` (after `delay_ms`) or `release`."""

    bucket: int
    entry_id: str
    action: str
    delay_ms: int = 0


class GroupState(NamedTuple):
    """A group's entries on Redis, and the age of its oldest unfinished one (None if none)."""

    undelivered: int
    pending: int
    scheduled: int
    due: int
    oldest_ms: int | None


class Link:
    """A Redis client (thread-safe pool) and the backend's scripts, for one layout."""

    def __init__(self, url: str, layout: RedisLayout, *, timeout: float = 10.0) -> None:
        self.url = url
        self.layout = layout
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
        )
        register = self.client.register_script
        self._ensure = register(redis_scripts.ENSURE_GROUP)
        self._forward = register(redis_scripts.FORWARD)
        self._claim = register(redis_scripts.CLAIM)
        self._renew = register(redis_scripts.RENEW)
        self._settle = register(redis_scripts.SETTLE)
        self._stats = register(redis_scripts.STATS)

    def close(self) -> None:
        self.client.close()

    def ensure_group(self, topic: str, group: str) -> None:
        """The group's consumer group on every bucket stream, and its mark in `groups`."""
        keys = [self.layout.groups(topic), *self.layout.streams(topic)]
        self._ensure(keys=keys, args=[group])

    def has_group(self, topic: str, group: str) -> bool:
        return bool(self.client.hexists(self.layout.groups(topic), group))

    def forward(self, topic: str, rows: Sequence[Outgoing], window_ms: int) -> int | None:
        """Append rows in order to their buckets' streams, skipping ids sent within the
        window; None when the topic has no consumer groups here (nothing was sent)."""
        added = 0
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            keys = [self.layout.groups(topic), self.layout.sent(topic)]
            args: list[str | int | bytes] = [window_ms]
            for row in chunk:
                keys.append(self.layout.stream(topic, self.layout.bucket(row.partition_key)))
                args += [row.message_id, row.seq, row.target_group or "", row.body]
            result = int(self._forward(keys=keys, args=args))
            if result < 0:
                if start:  # lost between two chunks: the caller recovers and starts over
                    raise RuntimeError(f"Redis lost {topic} in the middle of a relay pass")
                return None
            added += result
        return added

    def claim(
        self, topic: str, group: str, token: str, lease_ms: int, most: int, start: int,
        *, skip: int = 100,
    ) -> list[Entry] | None:
        """The next entry of up to `most` free buckets, visited from bucket `start`;
        None when the group has no consumer groups here."""
        buckets = [(start + step) % self.layout.buckets for step in range(self.layout.buckets)]
        keys = [
            self.layout.groups(topic),
            self.layout.holds(topic, group),
            *(self.layout.stream(topic, bucket) for bucket in buckets),
        ]
        args: list[str | int] = [group, CONSUMER, token, lease_ms, most, skip, *buckets]
        found = self._claim(keys=keys, args=args)
        if found is None:
            return None
        return [
            Entry(int(bucket), _text(entry_id), int(deliveries), _fields(fields))
            for bucket, entry_id, deliveries, fields, _ in found
        ]

    def renew(
        self, topic: str, group: str, token: str, lease_ms: int,
        held: Sequence[tuple[int, str]],
    ) -> list[bool]:
        """Restart the lease of each (bucket, entry id) the token still holds."""
        if not held:
            return []
        args: list[str | int] = [token, lease_ms]
        for bucket, entry_id in held:
            args += [bucket, entry_id]
        result = self._renew(keys=[self.layout.holds(topic, group)], args=args)
        return [bool(ok) for ok in result]

    def settle(
        self, topic: str, group: str, token: str, settles: Sequence[Settle]
    ) -> list[bool]:
        """Apply each settlement to an entry the token still holds; False where it passed."""
        if not settles:
            return []
        keys = [self.layout.holds(topic, group)]
        args: list[str | int] = [group, CONSUMER, token]
        for item in settles:
            keys.append(self.layout.stream(topic, item.bucket))
            args += [item.bucket, item.entry_id, item.action, item.delay_ms]
        return [bool(ok) for ok in self._settle(keys=keys, args=args)]

    def state(self, topic: str, group: str) -> GroupState:
        """Counts of the group's entries across the topic's buckets."""
        keys = [self.layout.holds(topic, group), *self.layout.streams(topic)]
        undelivered, pending, scheduled, due, oldest = self._stats(keys=keys, args=[group])
        return GroupState(
            int(undelivered), int(pending), int(scheduled), int(due),
            int(oldest) if int(oldest) >= 0 else None,
        )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(flat: Sequence[Any]) -> dict[str, bytes]:
    return {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
