"""Worker processes share a burst: nothing handled twice, every order kept.

Two and three processes on SQL; two on JetStream, two on Redis Streams and two on RabbitMQ,
with PostgreSQL for the outbox and the log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from causeway.runtime.backbone import Backbone
from causeway.runtime.backends.jetstream import JetStreamBackbone
from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.rabbitmq import RabbitMQBackbone
from causeway.runtime.backends.redis_link import RedisLayout
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from tests.support import rabbitmq as rabbitmq_support
from tests.support import redis as redis_support
from tests.support.nats import NATS_URL, throwaway_prefix

from .share_worker import GROUP, handled, log_metadata

SCRIPT = Path(__file__).with_name("share_worker.py")
TOPIC = "burst.commands"
PARTITIONS = 60
PER_PARTITION = 20


def run_burst(engine: Engine, backbone: Backbone, processes: int, *extra: str) -> None:
    """Publish the burst, let `processes` workers share it, check nothing ran twice."""
    url = engine.url.render_as_string(hide_password=False)
    backbone.subscribe(TOPIC, GROUP)
    burst = [
        Envelope(
            kind="command",
            source="sync",
            entity="customer",
            key=f"C-{partition}",
            payload={"seq": seq},
            idempotency_key=f"C-{partition}-{seq}",
        )
        for seq in range(PER_PARTITION)
        for partition in range(PARTITIONS)
    ]
    for start in range(0, len(burst), 200):
        backbone.publish(TOPIC, burst[start : start + 200])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    workers = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), url, TOPIC, f"w{number}", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for number in range(processes)
    ]
    outputs = []
    for worker in workers:
        output, _ = worker.communicate(timeout=600)
        outputs.append(output)
        assert worker.returncode == 0, output
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                handled.c.worker,
                handled.c.partition_key,
                handled.c.seq,
                handled.c.idempotency_key,
            ).order_by(handled.c.id)
        ).all()

    keys = [row.idempotency_key for row in rows]
    assert len(keys) == len(burst)  # every envelope handled ...
    assert len(set(keys)) == len(burst)  # ... and none twice
    by_partition: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_partition[row.partition_key].append(row.seq)
    assert all(seqs == list(range(PER_PARTITION)) for seqs in by_partition.values())
    share = {row.worker for row in rows}
    assert share == {f"w{number}" for number in range(processes)}, outputs
    [stats] = backbone.stats(TOPIC)
    assert (stats.done, stats.ready, stats.in_flight, stats.parked) == (len(burst), 0, 0, 0)


@pytest.mark.parametrize("processes", [2, 3])
def test_worker_processes_share_a_burst_without_double_processing(
    engine: Engine, processes: int
) -> None:
    log_metadata.create_all(engine)
    try:
        run_burst(engine, SqlBackbone(engine), processes)
    finally:
        log_metadata.drop_all(engine)


@pytest.mark.services
def test_worker_processes_share_a_burst_on_jetstream_without_double_processing(
    postgres_engine: Engine,
) -> None:
    log_metadata.create_all(postgres_engine)
    try:
        with throwaway_prefix() as prefix, JetStreamBackbone(
            postgres_engine, NATS_URL, layout=Layout(prefix=prefix)
        ) as backbone:
            run_burst(
                postgres_engine, backbone, 2, "--nats-url", NATS_URL, "--prefix", prefix
            )
    finally:
        log_metadata.drop_all(postgres_engine)


@pytest.mark.services
def test_worker_processes_share_a_burst_on_redis_without_double_processing(
    postgres_engine: Engine,
) -> None:
    log_metadata.create_all(postgres_engine)
    try:
        with redis_support.throwaway_prefix() as prefix, RedisBackbone(
            postgres_engine, redis_support.REDIS_URL, layout=RedisLayout(prefix=prefix)
        ) as backbone:
            run_burst(
                postgres_engine, backbone, 2, "--redis-url", redis_support.REDIS_URL,
                "--prefix", prefix,
            )
    finally:
        log_metadata.drop_all(postgres_engine)


@pytest.mark.services
def test_worker_processes_share_a_burst_on_rabbitmq_without_double_processing(
    postgres_engine: Engine,
) -> None:
    log_metadata.create_all(postgres_engine)
    try:
        with rabbitmq_support.throwaway_layout(postgres_engine) as layout, RabbitMQBackbone(
            postgres_engine, rabbitmq_support.AMQP_URL, layout=layout
        ) as backbone:
            # The first worker to consume is every queue's active consumer; the buckets
            # change hands every 16 messages, so both workers take part.
            run_burst(
                postgres_engine, backbone, 2, "--amqp-url", rabbitmq_support.AMQP_URL,
                "--prefix", layout.prefix,
            )
    finally:
        log_metadata.drop_all(postgres_engine)
