"""A worker process that shares a topic with others and logs every envelope it handles.

Run as a script: `python share_worker.py URL TOPIC NAME [--nats-url URL | --redis-url URL |
--amqp-url URL] [--prefix P]`. Each envelope is logged with the worker's name and its
partition's sequence number, in the handler's own transaction, so the test can prove that
no envelope was handled twice and that each partition kept its order. With --nats-url the
backbone is JetStream, with --redis-url Redis Streams, with --amqp-url RabbitMQ.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from sqlalchemy import Column, Integer, MetaData, String, Table

from causeway.runtime.backbone import Backbone
from causeway.runtime.backends.jetstream import JetStreamBackbone
from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.rabbitmq import RabbitMQBackbone
from causeway.runtime.backends.rabbitmq_link import RabbitLayout
from causeway.runtime.backends.redis_link import RedisLayout
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine

GROUP = "burst-writers"
log_metadata = MetaData()
handled = Table(
    "burst_handled",
    log_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker", String(20), nullable=False),
    Column("partition_key", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("topic")
    parser.add_argument("name")
    parser.add_argument("--nats-url", help="run on JetStream instead of SQL")
    parser.add_argument("--redis-url", help="run on Redis Streams instead of SQL")
    parser.add_argument("--amqp-url", help="run on RabbitMQ instead of SQL")
    parser.add_argument("--prefix", default="causeway", help="subject or key prefix")
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args()
    engine = make_engine(args.url)
    backbone: Backbone = SqlBackbone(engine)
    if args.nats_url:
        backbone = JetStreamBackbone(engine, args.nats_url, layout=Layout(prefix=args.prefix))
    if args.redis_url:
        backbone = RedisBackbone(engine, args.redis_url, layout=RedisLayout(prefix=args.prefix))
    if args.amqp_url:
        backbone = RabbitMQBackbone(
            engine, args.amqp_url, layout=RabbitLayout(prefix=args.prefix)
        )
    count = 0

    async def handle(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        nonlocal count
        for item in batch:
            time.sleep(0.002)  # a little work, so the workers interleave
            with write_transaction(engine) as connection:
                connection.execute(
                    handled.insert().values(
                        worker=args.name,
                        partition_key=item.partition_key,
                        seq=item.payload["seq"],
                        idempotency_key=item.idempotency_key,
                    )
                )
            count += 1
        return [Done() for _ in batch]

    settings = WorkerSettings(
        topic=args.topic,
        group=GROUP,
        target="sink",
        batch_size=args.batch,
        lease_seconds=60,
        idle_seconds=0.05,
    )
    worker = Worker(backbone, handle, settings)

    async def until_drained() -> None:
        idle = 0
        while idle < 3:
            busy = await worker.run_once()
            [stats] = await asyncio.to_thread(backbone.stats, args.topic)
            idle = idle + 1 if stats.ready + stats.in_flight + stats.scheduled == 0 else 0
            if not busy:
                await asyncio.sleep(0.05)

    print("READY", flush=True)
    asyncio.run(until_drained())
    print(f"DRAINED {count}", flush=True)


if __name__ == "__main__":
    main()
