"""Throughput of publish + claim + ack against a raw INSERT of the same rows, per backend.

    python -m causeway.runtime.bench [--count 20000] [--batch 200] [--partitions 1000]
        [--nats-url nats://127.0.0.1:4222] [--redis-url redis://127.0.0.1:6379/0]
        [--amqp-url amqp://guest:guest@127.0.0.1:5672/] [--buckets 32]

Shared hardware is noisy, so the figure that matters is the ratio to the baseline measured in
the same run. PostgreSQL runs in a throwaway database when 127.0.0.1:5432 answers; the
JetStream, Redis Streams and RabbitMQ backends (outbox and log on that PostgreSQL) when their
servers answer too.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aio_pika.exceptions
import nats.errors
import psycopg
import redis
import structlog
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, Text

from causeway.runtime.backbone import Backbone, Settlement
from causeway.runtime.backends.jetstream import JetStreamBackbone
from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.rabbitmq import RabbitMQBackbone
from causeway.runtime.backends.rabbitmq_link import Link, RabbitLayout
from causeway.runtime.backends.redis_link import RedisLayout
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.backends.sql_log import envelope_row
from causeway.runtime.envelope import Envelope, utc_now
from causeway.runtime.handler import Done
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES

TOPIC = "bench.changes"
GROUP = "bench"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"

baseline_metadata = MetaData()
baseline = Table(
    "bench_raw_insert",
    baseline_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    *(
        Column(name, String(400))
        for name in ("id", "topic", "kind", "source", "entity", "business_key", "partition_key")
    ),
    Column("idempotency_key", String(400)),
    Column("payload", Text),
    Column("headers", Text),
    Column("created_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
    Column("target_group", String(200)),
)


@dataclass(frozen=True, slots=True)
class Result:
    """Seconds spent by the baseline and by each phase of the backbone."""

    backend: str
    count: int
    baseline: float
    publish: float
    claim_ack: float

    @property
    def backbone(self) -> float:
        return self.publish + self.claim_ack

    def lines(self) -> list[str]:
        """A small table for the terminal and the decision record."""
        phases = [
            ("baseline raw INSERT", self.baseline),
            ("publish", self.publish),
            ("claim + ack", self.claim_ack),
            ("publish + claim + ack", self.backbone),
        ]
        rows = [f"{self.backend}: {self.count} envelopes"]
        for label, seconds in phases:
            rows.append(f"  {label:<24}{seconds:8.2f} s {self.count / seconds:10.0f}/s")
        rows.append(f"  {'ratio to baseline':<24}{self.backbone / self.baseline:8.1f} x")
        return rows


def envelopes(count: int, partitions: int) -> list[Envelope]:
    """Customer changes spread over `partitions` entities, with a realistic small payload."""
    return [
        Envelope(
            kind="change",
            source="salesforce",
            entity="customer",
            key=f"001{n % partitions:012d}",
            idempotency_key=f"bench-{n}",
            payload={"Name": f"Customer {n}", "BillingCity": "Lyon", "AnnualRevenue": n * 10.5},
        )
        for n in range(count)
    ]


def measure(engine: Engine, backend: str, count: int, batch: int, partitions: int) -> Result:
    """Run the baseline, then publish + claim + ack, on empty tables."""
    return _measure(engine, backend, _sql, count, batch, partitions)


def measure_jetstream(
    engine: Engine, nats_url: str, count: int, batch: int, partitions: int, buckets: int
) -> Result:
    """The same on JetStream; the outbox and the log stay on `engine`."""

    @contextmanager
    def jetstream(engine: Engine) -> Iterator[Backbone]:
        layout = Layout(prefix=f"bench{uuid.uuid4().hex[:8]}", buckets=buckets)
        with JetStreamBackbone(engine, nats_url, layout=layout, lease_seconds=60) as backbone:
            try:
                yield backbone
            finally:
                backbone.link.call(backbone.link.js.delete_stream(layout.stream(TOPIC)))

    return _measure(
        engine, f"jetstream ({buckets} buckets)", jetstream, count, batch, partitions
    )


def measure_redis(
    engine: Engine, redis_url: str, count: int, batch: int, partitions: int, buckets: int
) -> Result:
    """The same on Redis Streams; the outbox and the log stay on `engine`."""

    @contextmanager
    def redis_streams(engine: Engine) -> Iterator[Backbone]:
        layout = RedisLayout(prefix=f"bench{uuid.uuid4().hex[:8]}", buckets=buckets)
        with RedisBackbone(engine, redis_url, layout=layout) as backbone:
            try:
                yield backbone
            finally:
                client = backbone.link.client
                keys = list(client.scan_iter(match=f"{layout.prefix}:*", count=1000))
                if keys:
                    client.delete(*keys)

    return _measure(
        engine, f"redis ({buckets} buckets)", redis_streams, count, batch, partitions
    )


def measure_rabbitmq(
    engine: Engine, amqp_url: str, count: int, batch: int, partitions: int, buckets: int
) -> Result:
    """The same on RabbitMQ quorum queues; the outbox and the log stay on `engine`."""

    @contextmanager
    def rabbitmq(engine: Engine) -> Iterator[Backbone]:
        layout = RabbitLayout(prefix=f"bench{uuid.uuid4().hex[:8]}", buckets=buckets)
        try:
            with RabbitMQBackbone(engine, amqp_url, layout=layout) as backbone:
                yield backbone
        finally:  # once its consumers are gone, so none is cancelled under a deleted queue
            link = Link(amqp_url, layout)
            try:
                link.call(link.delete(TOPIC, [GROUP]), timeout=120)
            finally:
                link.close()

    return _measure(
        engine, f"rabbitmq ({buckets} buckets)", rabbitmq, count, batch, partitions
    )


@contextmanager
def _sql(engine: Engine) -> Iterator[Backbone]:
    yield SqlBackbone(engine)


def _measure(
    engine: Engine,
    backend: str,
    open_backbone: Callable[[Engine], AbstractContextManager[Backbone]],
    count: int,
    batch: int,
    partitions: int,
) -> Result:
    items = envelopes(count, partitions)
    tables = list(RUNTIME_TABLES)
    metadata.create_all(engine, tables=tables)
    baseline_metadata.create_all(engine)
    try:
        now = utc_now()
        rows = [envelope_row(TOPIC, item, now) for item in items]
        started = time.perf_counter()
        for start in range(0, count, batch):
            with write_transaction(engine) as connection:
                connection.execute(baseline.insert(), rows[start : start + batch])
        baseline_seconds = time.perf_counter() - started

        with open_backbone(engine) as backbone:
            backbone.subscribe(TOPIC, GROUP)
            started = time.perf_counter()
            for start in range(0, count, batch):
                backbone.publish(TOPIC, items[start : start + batch])
            publish_seconds = time.perf_counter() - started
            # Steady state: autovacuum keeps PostgreSQL's statistics; a table filled seconds ago
            # has none, and the planner then guesses. Not timed.
            with write_transaction(engine) as connection:
                connection.exec_driver_sql("ANALYZE")

            started = time.perf_counter()
            handled = 0
            idle = 0
            # An empty claim means "nothing right now", not "drained": on a broker an ack
            # may still be in flight inside the server when the next claim asks.
            while handled < count and idle < 20:
                claim = backbone.claim(TOPIC, GROUP, max_batch=batch, lease_seconds=60)
                idle = 0 if claim else idle + 1
                done: dict[str, Settlement] = {item.id: Done() for item in claim.envelopes}
                handled += backbone.settle(claim, done).acked if claim else 0
            claim_seconds = time.perf_counter() - started
            if handled != count:
                raise RuntimeError(f"{backend}: acked {handled} of {count} envelopes")
        return Result(backend, count, baseline_seconds, publish_seconds, claim_seconds)
    finally:
        baseline_metadata.drop_all(engine)
        metadata.drop_all(engine, tables=tables)


def _brokers(
    engine: Engine,
    args: argparse.Namespace,
    wanted: Callable[[str], bool],
    results: list[Result],
) -> None:
    """PostgreSQL, then each broker that answers, with the outbox and log on `engine`."""
    sizes = (args.count, args.batch, args.partitions)
    if wanted("postgresql"):
        results.append(measure(engine, "postgresql", *sizes))
    if wanted("jetstream"):
        try:
            results.append(measure_jetstream(engine, args.nats_url, *sizes, args.buckets))
        except (OSError, nats.errors.Error) as error:
            print(f"jetstream: {args.nats_url} not usable ({error!r}), skipped")
    if wanted("redis"):
        try:
            results.append(measure_redis(engine, args.redis_url, *sizes, args.buckets))
        except (OSError, redis.exceptions.RedisError) as error:
            print(f"redis: {args.redis_url} not usable ({error!r}), skipped")
    if wanted("rabbitmq"):
        try:
            results.append(measure_rabbitmq(engine, args.amqp_url, *sizes, args.buckets))
        except (OSError, aio_pika.exceptions.AMQPError) as error:
            print(f"rabbitmq: {args.amqp_url} not usable ({error!r}), skipped")


@contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """The URL of a fresh PostgreSQL database, dropped afterwards; None if none answers."""
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError:
        yield None
        return
    name = f"causeway_bench_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    """Measure SQLite, then PostgreSQL when reachable, and print both against the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=1_000)
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--buckets", type=int, default=32)
    parser.add_argument(
        "--only", choices=["sqlite", "postgresql", "jetstream", "redis", "rabbitmq"],
        action="append", help="measure only these backends (repeatable; default all)",
    )
    args = parser.parse_args(argv)

    def wanted(backend: str) -> bool:
        return args.only is None or backend in args.only

    # Per-batch log lines would be part of what is measured.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    results = []
    if wanted("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
            results.append(measure(engine, "sqlite", args.count, args.batch, args.partitions))
            engine.dispose()
    if any(wanted(name) for name in ("postgresql", "jetstream", "redis", "rabbitmq")):
        with throwaway_postgres() as url:
            if url is None:
                print("postgresql: not reachable on 127.0.0.1:5432, skipped")
            else:
                engine = make_engine(url)
                _brokers(engine, args, wanted, results)
                engine.dispose()
    print(f"batch {args.batch}, {args.partitions} partitions")
    for result in results:
        print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
