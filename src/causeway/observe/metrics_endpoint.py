"""Where Prometheus scrapes a runtime process, and what keeps its backlog gauges current.

Counters and histograms move as work happens; backlog, lag, pause and dead-letter gauges
are read from the backbone, so a process refreshes them on a timer (every 15 s by default,
one stats query per refresh) rather than on every claim.
"""

from __future__ import annotations

import asyncio
from threading import Thread
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import start_http_server

from causeway.runtime.backbone import Backbone

log = structlog.get_logger(__name__)

GAUGE_REFRESH_S = 15.0


def serve_metrics(host: str, port: int) -> tuple[WSGIServer, Thread]:
    """Expose every metric of this process at http://host:port/metrics (a daemon thread).

    Bind to loopback unless a scraper elsewhere needs it: the page carries no personal data
    (labels are topics and groups, never record keys) but is not authenticated.
    """
    server, thread = start_http_server(port, addr=host)
    log.info("metrics served", url=f"http://{host}:{server.server_port}/metrics")
    return server, thread


async def refresh_gauges(
    backbone: Backbone, stop: asyncio.Event, every: float = GAUGE_REFRESH_S
) -> None:
    """Read the backbone's stats (which set the gauges) until `stop` is set."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(backbone.stats)
        except Exception as error:  # a failed refresh must not stop the runtime
            log.warning("metrics refresh failed", error=str(error))
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue
