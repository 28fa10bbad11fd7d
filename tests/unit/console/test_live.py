"""The live board: throughput from settled counts, p95 and SLA from the store, meters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine, update

from causeway.console.live import FlowBoard, Meter, flow_name, percentile
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.store.tables.runtime import delivery

TOPIC = "sync.commands.s4hana"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


class Accept:
    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        return [Done() for _ in batch]


def envelope(number: int) -> Envelope:
    return Envelope(
        kind="command",
        source="test",
        entity="customer",
        key=f"C{number}",
        partition_key=f"customer/C{number}",
        payload={"n": number},
    )


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.95) is None
    assert percentile([0.1 * n for n in range(1, 21)], 0.95) == pytest.approx(1.9)


def test_flows_show_throughput_latency_and_sla_from_the_store(database: Engine) -> None:
    backbone = SqlBackbone(database)
    backbone.subscribe(TOPIC, "writer")
    board = FlowBoard(database, backbone, {"sync.commands.": 1.0})
    assert board.flows()[0].backlog == 0
    backbone.publish(TOPIC, [envelope(n) for n in range(10)])
    worker = Worker(backbone, Accept(), WorkerSettings(TOPIC, "writer", "test", 100))
    asyncio.run(worker.run_once())
    # Half the writes took five seconds: outside the one-second target.
    late = datetime.now(UTC) + timedelta(seconds=5)
    with database.begin() as connection:
        connection.execute(update(delivery).where(delivery.c.seq <= 5).values(done_at=late))
    (row,) = board.flows()
    assert row.name == "writes to s4hana"
    assert row.backlog == 0
    assert row.exceptions == 0
    assert row.attained == pytest.approx(0.5)
    assert row.p95_s is not None
    assert row.p95_s >= 4.9
    console = Console(width=160, record=True)
    console.print(board.render("flows", ["footer line"]))
    text = console.export_text()
    assert "writes to s4hana" in text
    assert "50.0%" in text
    assert "footer line" in text


def test_a_meter_reports_its_window_and_failures() -> None:
    meter = Meter("quotes", sla_s=0.5)
    for seconds in (0.1, 0.2, 0.3, 0.9):
        meter.record(seconds)
    meter.fail()
    row = meter.row(now=time.monotonic())
    assert row.attained == pytest.approx(0.75)
    assert row.exceptions == 1
    assert row.per_second == pytest.approx(0.4)
    assert row.p95_s == pytest.approx(0.9)


def test_flow_names_say_what_the_sync_topics_carry() -> None:
    assert flow_name("sync.changes", "sync") == "changes merged"
    assert flow_name("sync.commands.salesforce", "writer") == "writes to salesforce"
    assert flow_name("orders.events", "o2c") == "orders.events → o2c"
