"""A runtime process's metrics page: scraped over HTTP, backlog and dead letters current."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from causeway.observe.metrics_endpoint import refresh_gauges, serve_metrics
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Park
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES

TOPIC = "sync.commands.erp-metrics"
GROUP = "sync"


def sample(page: str, name: str) -> float:
    """The value of `name{group="sync",topic=TOPIC}` on a Prometheus text page."""
    wanted = f'{name}{{group="{GROUP}",topic="{TOPIC}"}}'
    for line in page.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{wanted} not on the page")


def test_the_page_shows_backlog_and_waiting_dead_letters_per_flow(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'runtime.sqlite'}")
    metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    backbone = SqlBackbone(engine)
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(
        TOPIC,
        [
            Envelope(kind="command", source="causeway", entity="customer", key=k, payload={})
            for k in ("A", "B", "C")
        ],
    )
    claim = backbone.claim(TOPIC, GROUP, max_batch=1, lease_seconds=30)
    backbone.settle(claim, {claim.envelopes[0].id: Park("refused", "Name", "A")})
    server, _thread = serve_metrics("127.0.0.1", 0)
    try:

        async def refresh_once() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(refresh_gauges(backbone, stop, every=0.05))
            await asyncio.sleep(0.2)
            stop.set()
            await task

        asyncio.run(refresh_once())
        page = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics").text
    finally:
        server.shutdown()
        engine.dispose()

    assert sample(page, "causeway_runtime_dead_letters") == 1
    assert sample(page, "causeway_runtime_pending") == 2
    assert sample(page, "causeway_runtime_paused") == 0
