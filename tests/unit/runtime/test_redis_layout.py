"""Redis key layout: the same ordered lanes as JetStream, one cluster slot per topic."""

from __future__ import annotations

from redis.crc import key_slot

from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.redis_link import RedisLayout


def test_partition_keys_fall_into_the_same_buckets_as_on_jetstream() -> None:
    keys = [f"customer/C-{n}" for n in range(500)]

    for buckets in (1, 8, 32, 128):
        redis_lanes = [RedisLayout(buckets=buckets).bucket(key) for key in keys]
        assert redis_lanes == [Layout(buckets=buckets).bucket(key) for key in keys]
    assert len(set(RedisLayout(buckets=32).bucket(key) for key in keys)) == 32


def test_every_key_of_a_topic_shares_one_slot_and_topics_stay_apart() -> None:
    layout = RedisLayout(prefix="causeway", buckets=16)

    def keys(topic: str) -> list[str]:
        return [
            *layout.streams(topic),
            layout.groups(topic),
            layout.sent(topic),
            layout.holds(topic, "sync"),
            layout.holds(topic, "audit"),
        ]

    assert len({key_slot(key.encode()) for key in keys("crm.changes")}) == 1
    # Names differing only in characters a key cannot keep verbatim stay distinct.
    assert layout.stream("crm.{changes}", 0) != layout.stream("crm._changes_", 0)
    assert not set(keys("crm.changes")) & set(keys("erp.changes"))
