"""The outbox relay to JetStream: queued envelopes published in log order, deduplicated.

The SQL side (queue, lock, pass, background thread) is `outbox_relay.OutboxRelay`, shared
with the other brokers. Here rows are published with `Nats-Msg-Id` set to the message id,
and a pass returns once the stream has acknowledged every one; JetStream drops re-sent
copies within its duplicate window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from causeway.runtime.backends.jetstream_link import Layout, Link
from causeway.runtime.backends.outbox_relay import OutboxRelay, Queued, enqueue, envelope_body

__all__ = ["GROUP_HEADER", "SEQ_HEADER", "Relay", "enqueue"]

SEQ_HEADER = "Causeway-Seq"
GROUP_HEADER = "Causeway-Group"


class Relay(OutboxRelay):
    """Forwards queued envelopes to the topic streams of `layout`."""

    def __init__(
        self,
        engine: Engine,
        link: Link,
        layout: Layout,
        *,
        batch: int = 500,
        min_interval: float = 0.02,
        max_interval: float = 0.5,
    ) -> None:
        super().__init__(
            engine,
            self._publish,
            batch=batch,
            min_interval=min_interval,
            max_interval=max_interval,
        )
        self.link = link
        self.layout = layout
        self._streams: set[str] = set()

    def _publish(self, connection: Connection, rows: Sequence[Queued]) -> None:
        self.link.call(self._forward(rows))

    async def _forward(self, rows: Sequence[Queued]) -> None:
        """Publish in order on one connection (the server keeps it), then await every ack."""
        for topic in {queued.row.topic for queued in rows}:
            if topic not in self._streams:
                await self.link.ensure_stream(self.layout, topic)
                self._streams.add(topic)
        acks = []
        for message_id, target_group, row in rows:
            headers = {"Nats-Msg-Id": message_id, SEQ_HEADER: str(row.seq)}
            if target_group is not None:
                headers[GROUP_HEADER] = target_group
            subject = self.layout.subject(row.topic, self.layout.bucket(row.partition_key))
            acks.append(
                await self.link.js.publish_async(subject, envelope_body(row), headers=headers)
            )
        await asyncio.gather(*acks)
