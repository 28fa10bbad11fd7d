"""RabbitMQ names: the same ordered lanes as JetStream, replays routed to one group."""

from __future__ import annotations

from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.rabbitmq_link import RabbitLayout


def test_partition_keys_fall_into_the_same_buckets_as_on_jetstream() -> None:
    keys = [f"customer/C-{n}" for n in range(500)]

    for buckets in (1, 8, 32, 128):
        rabbit_lanes = [RabbitLayout(buckets=buckets).bucket(key) for key in keys]
        assert rabbit_lanes == [Layout(buckets=buckets).bucket(key) for key in keys]


def test_queues_stay_apart_and_a_replay_key_names_one_group() -> None:
    layout = RabbitLayout(prefix="causeway", buckets=4)
    names = {
        queue
        for topic in ("crm.changes", "crm_changes", "erp.changes")
        for group in ("sync", "audit")
        for queue in layout.queues(topic, group)
    }

    assert len(names) == 3 * 2 * 4
    assert all(len(name.encode()) <= 255 for name in names)  # AMQP's short string
    assert layout.routing_key(3) == "3"
    assert layout.routing_key(3, "sync") != layout.routing_key(3, "audit")
    assert layout.routing_key(3, "sync").startswith("3.")
