"""A worker process killed with SIGKILL mid-batch loses nothing and writes nothing twice.

On SQL (SQLite and PostgreSQL), and on JetStream, Redis Streams and RabbitMQ with PostgreSQL
holding the outbox and sink.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

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

from .crash_worker import GROUP, sink, sink_metadata, writes

SCRIPT = Path(__file__).with_name("crash_worker.py")
TOPIC = "erp.commands"


def start(url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), url, TOPIC, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> list[str]:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"worker ended without printing {wanted}: {''.join(seen)}")


def orders() -> list[Envelope]:
    return [
        Envelope(
            kind="command",
            source="sync",
            entity="order",
            key=f"SO-{n % 8}",
            payload={"n": n},
            idempotency_key=f"order-write-{n}",
        )
        for n in range(40)
    ]


def kill_mid_batch_then_drain(
    engine: Engine, backbone: Backbone, *extra: str
) -> tuple[int, int, list[str], int]:
    """Publish 40 orders, kill a worker after 5 writes, drain with a second one.

    Returns the envelopes in flight when the first died, how many of its 5 writes belonged
    to the batch it died in, what the sink holds, and how many writes were attempted in all.
    """
    url = engine.url.render_as_string(hide_password=False)
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, orders())

    doomed = start(url, "--hang-after", "5", *extra)
    try:
        said = wait_for_line(doomed, "HANGING")
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    [stranded] = backbone.stats(TOPIC)

    survivor = start(url, *extra)
    try:
        wait_for_line(survivor, "DRAINED")
    finally:
        survivor.kill()
        survivor.wait(timeout=10)
    assert doomed.returncode == -signal.SIGKILL
    with engine.connect() as connection:
        stored = connection.execute(select(sink.c.idempotency_key)).scalars().all()
        attempts = connection.execute(select(func.count()).select_from(writes)).scalar()
    in_batch = int(said[-2].rsplit(" ", 1)[1])
    return stranded.in_flight, in_batch, sorted(stored), int(attempts or 0)


@pytest.fixture
def sink_tables(engine: Engine) -> Iterator[Engine]:
    sink_metadata.create_all(engine)
    yield engine
    sink_metadata.drop_all(engine)


def test_sigkill_mid_batch_then_restart_handles_every_envelope_exactly_once(
    sink_tables: Engine,
) -> None:
    backbone = SqlBackbone(sink_tables)

    in_flight, in_batch, stored, attempts = kill_mid_batch_then_drain(sink_tables, backbone)

    [final] = backbone.stats(TOPIC)
    assert (in_flight, in_batch) == (8, 5)  # one batch: the head of each of the 8 orders
    assert stored == sorted(item.idempotency_key for item in orders())
    assert attempts == 45  # the 5 written before the kill were delivered again
    assert (final.done, final.ready, final.in_flight, final.parked) == (40, 0, 0, 0)


@pytest.mark.services
def test_sigkill_mid_batch_on_jetstream_loses_nothing_and_doubles_no_effect(
    postgres_engine: Engine,
) -> None:
    engine = postgres_engine
    sink_metadata.create_all(engine)
    try:
        with throwaway_prefix() as prefix:
            layout = Layout(prefix=prefix)
            # A batch as wide as the buckets reaches every busy one in one claim.
            extra = ("--nats-url", NATS_URL, "--prefix", prefix, "--batch", str(layout.buckets))
            with JetStreamBackbone(engine, NATS_URL, layout=layout) as backbone:
                in_flight, in_batch, stored, attempts = kill_mid_batch_then_drain(
                    engine, backbone, *extra
                )
                [final] = backbone.stats(TOPIC)
    finally:
        sink_metadata.drop_all(engine)

    buckets = {layout.bucket(item.partition_key) for item in orders()}
    # The batch in hand, and any head a request left running delivered to the dead process.
    assert 1 <= in_flight <= len(buckets)
    assert stored == sorted(item.idempotency_key for item in orders())
    # Earlier batches were acked; what the dead batch had written was delivered again. The
    # first batch usually holds every busy bucket's head, but a loaded host may answer late.
    assert attempts == 40 + in_batch
    assert (final.done, final.ready, final.in_flight, final.parked) == (40, 0, 0, 0)


@pytest.mark.services
def test_sigkill_mid_batch_on_redis_loses_nothing_and_doubles_no_effect(
    postgres_engine: Engine,
) -> None:
    engine = postgres_engine
    sink_metadata.create_all(engine)
    try:
        with redis_support.throwaway_prefix() as prefix:
            layout = RedisLayout(prefix=prefix)
            extra = (
                "--redis-url", redis_support.REDIS_URL, "--prefix", prefix,
                "--batch", str(layout.buckets),
            )
            with RedisBackbone(engine, redis_support.REDIS_URL, layout=layout) as backbone:
                in_flight, in_batch, stored, attempts = kill_mid_batch_then_drain(
                    engine, backbone, *extra
                )
                [final] = backbone.stats(TOPIC)
    finally:
        sink_metadata.drop_all(engine)

    buckets = {layout.bucket(item.partition_key) for item in orders()}
    # A claim is one script: the first batch holds the head of every busy bucket.
    assert in_flight == len(buckets)
    assert stored == sorted(item.idempotency_key for item in orders())
    assert attempts == 40 + in_batch  # what the dead batch had written came again
    assert (final.done, final.ready, final.in_flight, final.parked) == (40, 0, 0, 0)


@pytest.mark.services
def test_sigkill_mid_batch_on_rabbitmq_loses_nothing_and_doubles_no_effect(
    postgres_engine: Engine,
) -> None:
    engine = postgres_engine
    sink_metadata.create_all(engine)
    try:
        with rabbitmq_support.throwaway_layout(engine) as layout:
            extra = (
                "--amqp-url", rabbitmq_support.AMQP_URL, "--prefix", layout.prefix,
                "--batch", str(layout.buckets),
            )
            with RabbitMQBackbone(engine, rabbitmq_support.AMQP_URL, layout=layout) as backbone:
                in_flight, in_batch, stored, attempts = kill_mid_batch_then_drain(
                    engine, backbone, *extra
                )
                [final] = backbone.stats(TOPIC)
    finally:
        sink_metadata.drop_all(engine)

    buckets = {layout.bucket(item.partition_key) for item in orders()}
    # The dead connection gives its messages back at once, to the heads of their queues:
    # they count as ready or, until the broker noticed, as in flight.
    assert in_flight <= len(buckets)
    assert stored == sorted(item.idempotency_key for item in orders())
    assert attempts == 40 + in_batch  # what the dead batch had written came again
    assert (final.done, final.ready, final.in_flight, final.parked) == (40, 0, 0, 0)
