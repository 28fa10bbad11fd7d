"""Prometheus metrics of the backbone, labelled by topic and consumer group (never by key).

Partition keys would explode the series count, so they only appear in logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from causeway.runtime.backbone import TopicStats

PUBLISHED = Counter(
    "causeway_runtime_published",
    "Envelopes accepted by publish (with an outbox, counted before the caller commits).",
    ["topic"],
)
DUPLICATES = Counter(
    "causeway_runtime_duplicates",
    "Envelopes dropped at publish because their idempotency key was already on the topic.",
    ["topic"],
)
DELIVERED = Counter(
    "causeway_runtime_delivered", "Envelopes leased to a worker.", ["topic", "group"]
)
ACKED = Counter("causeway_runtime_acked", "Envelopes handled successfully.", ["topic", "group"])
RETRIED = Counter(
    "causeway_runtime_retried",
    "Envelopes scheduled for another attempt.",
    ["topic", "group", "error_class"],
)
PARKED = Counter(
    "causeway_runtime_parked",
    "Envelopes parked as dead letters.",
    ["topic", "group", "error_class"],
)
LEASES_LOST = Counter(
    "causeway_runtime_leases_lost",
    "Settlements refused because the lease had expired and passed to another worker.",
    ["topic", "group"],
)
PENDING = Gauge(
    "causeway_runtime_pending",
    "Envelopes not yet handled (ready, scheduled or in flight).",
    ["topic", "group"],
)
LAG = Gauge(
    "causeway_runtime_lag_seconds",
    "Age of the oldest envelope the group has not handled yet.",
    ["topic", "group"],
)
PAUSED = Gauge(
    "causeway_runtime_paused",
    "1 while the subscription is paused after a fatal failure.",
    ["topic", "group"],
)
DEAD_LETTERS = Gauge(
    "causeway_runtime_dead_letters",
    "Dead letters parked and waiting for an operator (fix and replay, or discard).",
    ["topic", "group"],
)


def observe(stats: TopicStats) -> None:
    """Set the backlog, lag, pause and dead-letter gauges of one flow from its stats."""
    labels = (stats.topic, stats.group)
    PENDING.labels(*labels).set(stats.ready + stats.in_flight + stats.scheduled)
    LAG.labels(*labels).set(stats.lag_seconds)
    PAUSED.labels(*labels).set(1 if stats.paused else 0)
    DEAD_LETTERS.labels(*labels).set(stats.dead_letters)


HANDLER_LATENCY = Histogram(
    "causeway_runtime_handler_seconds",
    "Time a handler took for one batch.",
    ["topic", "group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
