"""The demo's live phase: the runtime, the API and traffic together, watched on one screen.

The sync pipeline runs continuously on the embedded SQLite backbone, the API serves on a
loopback port (its docs and a client to try it are printed), the metrics page serves beside
it, and the traffic of CRM users, sales reps and a misbehaving ERP flows until Ctrl-C. Ctrl-C
stops the traffic first, lets the runtime finish the batch in hand, then stops: everything
accepted is on disk, and the next run picks up where this one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import structlog
import uvicorn
from pydantic import SecretStr
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text
from sqlalchemy import Engine

from causeway.api.app import create_app
from causeway.api.client_secrets import hash_secret
from causeway.api.process_services import ProcessOptions, build_process_services
from causeway.api.scopes import SCOPES
from causeway.api.settings import ApiClient, ApiSettings
from causeway.console.live import FlowBoard, Meter
from causeway.demo.orders import ORDER_SLA_S, OrderDesk, run_desk
from causeway.demo.traffic import Traffic
from causeway.observe.activity import ActivityLog
from causeway.observe.metrics_endpoint import serve_metrics
from causeway.project import load_project
from causeway.sandbox.launch import RunningSandboxes
from causeway.sync.pipeline import SyncPipeline

CLIENT_ID = "demo"
SLA_S = {"sync.changes": 10.0, "sync.commands.": 60.0}
"""Targets: a change is merged within 10 s, and written to its system within a minute."""
QUOTE_SLA_S = 0.5


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Endpoints:
    """Where to look while the demo runs."""

    api: str
    metrics: str
    client_secret: str
    database: str

    def lines(self, project: Path) -> list[str]:
        """The footer: API docs, a token command, metrics, and operator commands."""
        return [
            f"API docs   {self.api}/v1/docs    client {CLIENT_ID} / {self.client_secret}",
            f"token      curl -s -u {CLIENT_ID}:{self.client_secret} "
            f"-d grant_type=client_credentials {self.api}/oauth2/token",
            f"metrics    {self.metrics}/metrics",
            f"operators  .venv/bin/causeway dlq list -p {project}   |   "
            f"causeway orders exceptions list --url {self.database}",
            f"trace      .venv/bin/causeway trace <CRM order number> --url {self.database}",
            f"logs       {project.parent / 'causeway.log'}",
            "Ctrl-C stops cleanly; `make demo` again resumes from here.",
        ]


def api_settings(secret: str) -> ApiSettings:
    """One client holding every scope, with a signing key made for this run."""
    return ApiSettings(
        signing_key=SecretStr(secrets.token_urlsafe(48)),
        clients={CLIENT_ID: ApiClient(secret_hash=hash_secret(secret), scopes=tuple(SCOPES))},
    )


async def run_live(
    running: RunningSandboxes,
    database: Engine,
    pipeline: SyncPipeline,
    project: Path,
    console: Console,
    seconds: float | None = None,
) -> dict[str, float | int]:
    """Run everything until Ctrl-C (or `seconds`); returns the final figures."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    secret = secrets.token_urlsafe(18)
    services = build_process_services(load_project(project), database, ProcessOptions())
    app = create_app(
        api_settings(secret),
        pipeline.backbone,
        pricing=services.pricing,
        quote_validator=services.quote_validator,
        accounts=services.accounts,
        activity=ActivityLog(database),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    metrics_server, _ = serve_metrics("127.0.0.1", 0)
    endpoints = Endpoints(
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{metrics_server.server_port}",
        secret,
        database.url.render_as_string(False),
    )
    quotes = Meter("quotes (price & availability API)", QUOTE_SLA_S)
    traffic = Traffic(running, endpoints.api, CLIENT_ID, secret, quotes)
    quotes.note = lambda: f"{traffic.degraded} degraded answers"
    orders = Meter("orders (CRM order → ERP order)", ORDER_SLA_S)
    desk = OrderDesk(running, database, database.url.render_as_string(False), orders)
    orders.backlog = desk.waiting
    orders.note = lambda: f"{desk.booked} booked"
    board = FlowBoard(database, pipeline.backbone, SLA_S, [quotes, orders])
    started = time.monotonic()
    tasks = [
        asyncio.create_task(server.serve()),
        asyncio.create_task(pipeline.run(stop)),
        asyncio.create_task(traffic.run(stop)),
        asyncio.create_task(run_desk(desk, stop)),
    ]

    async def screen() -> RenderableType:
        table = await asyncio.to_thread(
            board.render, "Causeway: live flows (embedded SQLite runtime)", endpoints.lines(project)
        )
        status = Text(
            f"up {time.monotonic() - started:,.0f} s   CRM edits {traffic.edits}   "
            f"ERP 429 storms {traffic.storms}   ERP errors ~5% of calls",
            style="dim",
        )
        return Group(table, status)

    # The log stream goes to its file from here on: these lines say where each run began.
    log = structlog.get_logger("causeway.demo")
    log.info("demo.live", api=endpoints.api, metrics=endpoints.metrics, client=CLIENT_ID)
    try:
        with Live(await screen(), console=console, refresh_per_second=2, transient=False) as live:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                if seconds is not None and time.monotonic() - started >= seconds:
                    stop.set()
                live.update(await screen())
    finally:
        stop.set()
        server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.aclose()
        metrics_server.shutdown()
    figures: dict[str, float | int] = {
        "seconds": round(time.monotonic() - started, 1),
        "crm_edits": traffic.edits,
        "quotes_answered": len(quotes.samples),
        "orders_booked": desk.booked,
        "storms": traffic.storms,
        "parked": pipeline.parked(),
    }
    log.info("demo.stopped", **figures)
    return figures
