"""A worker process for the crash test: writes each envelope once into an idempotent sink.

Run as a script: `python crash_worker.py URL TOPIC [--hang-after N] [--nats-url URL |
--redis-url URL | --amqp-url URL] [--prefix P] [--batch N]`. With --hang-after it prints
HANGING after N sink writes (and how many of them belong to the batch in hand) and blocks
mid-batch, waiting to be killed. With --nats-url the backbone is JetStream, with
--redis-url Redis Streams, with --amqp-url RabbitMQ (SQL keeps the outbox either way).
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
from causeway.runtime.backends.sql_dialect import insert_for, write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine

GROUP = "sink-writer"
sink_metadata = MetaData()
sink = Table(
    "crash_sink",
    sink_metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("n", Integer, nullable=False),
)
writes = Table(
    "crash_writes",
    sink_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("topic")
    parser.add_argument("--hang-after", type=int, default=0)
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
    written = 0

    async def write(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        nonlocal written
        for position, item in enumerate(batch, 1):
            with write_transaction(engine) as connection:
                connection.execute(writes.insert().values(idempotency_key=item.idempotency_key))
                statement = insert_for(connection, sink).values(
                    idempotency_key=item.idempotency_key, n=item.payload["n"]
                )
                connection.execute(statement.on_conflict_do_nothing())
            written += 1
            if written == args.hang_after:
                print(f"WRITTEN IN THIS BATCH {position}", flush=True)
                print("HANGING", flush=True)
                time.sleep(3600)
        return [Done() for _ in batch]

    settings = WorkerSettings(
        topic=args.topic,
        group=GROUP,
        target="sink",
        batch_size=args.batch,
        lease_seconds=1.5,
        idle_seconds=0.05,
    )
    worker = Worker(backbone, write, settings)

    async def until_drained() -> None:
        while True:
            await worker.run_once()
            [stats] = await asyncio.to_thread(backbone.stats, args.topic)
            if stats.ready + stats.in_flight + stats.scheduled == 0:
                return
            await asyncio.sleep(0.05)

    asyncio.run(until_drained())
    if isinstance(backbone, JetStreamBackbone | RedisBackbone | RabbitMQBackbone):
        backbone.close()
    print("DRAINED", flush=True)


if __name__ == "__main__":
    main()
