"""The outbox relay to RabbitMQ: queued envelopes published in log order, with confirms.

The SQL side (queue, lock, pass, background thread) is `outbox_relay.OutboxRelay`, shared
with the other brokers. Here a pass publishes its rows in order on one channel with
publisher confirms and returns once the broker confirmed every one (a quorum queue
confirms once a majority stored the message). RabbitMQ drops no duplicates: a relay that
crashed between the confirms and its SQL commit sends the rows again, and the consumers
drop the copies of envelopes their group already settled (the SQL delivery rows).

A message goes to the topic's exchange with its bucket as routing key, so every group's
queue of that bucket gets it; a replay for one group uses `<bucket>.<group>`, which only
that group's queue is bound to. A topic nobody subscribes to has no queue bound: the
exchange drops the message, as JetStream's interest retention does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from causeway.runtime.backends.outbox_relay import OutboxRelay, Queued, envelope_body
from causeway.runtime.backends.rabbitmq_link import Link, Outgoing


class RabbitRelay(OutboxRelay):
    """Forwards queued envelopes to the topic exchanges of `link`'s layout."""

    def __init__(self, engine: Engine, link: Link, *, batch: int = 500) -> None:
        super().__init__(engine, self._forward, batch=batch)
        self.link = link

    def _forward(self, connection: Connection, rows: Sequence[Queued]) -> None:
        """Each topic's rows in order, confirmed before the pass deletes them."""
        topics: dict[str, list[Outgoing]] = {}
        layout = self.link.layout
        for queued in rows:
            row = queued.row
            key = layout.routing_key(layout.bucket(row.partition_key), queued.target_group)
            topics.setdefault(row.topic, []).append(
                Outgoing(queued.message_id, row.seq, key, envelope_body(row))
            )
        for topic, outgoing in topics.items():
            self.link.call(self.link.publish(topic, outgoing), timeout=self.link.timeout * 6)
