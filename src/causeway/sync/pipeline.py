"""The master-data sync, assembled: pollers -> changes topic -> sync -> command topics -> writers.

Everything between two systems passes through the durable backbone: a change is stored
before its cursor moves, a write is stored in the same transaction as the golden record
that caused it, and each target system has its own writer with its own rate limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from causeway.connectors.contract import Connector
from causeway.runtime.backbone import Backbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.throttle import TargetGuards
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.sync.engine import EntityRoute, SyncEngine
from causeway.sync.handlers import ChangeHandler, CommandHandler
from causeway.sync.messages import CHANGES_TOPIC, commands_topic
from causeway.sync.poller import ChangePoller, PollTarget

SYNC_GROUP = "sync"
WRITER_GROUP = "writer"


@dataclass(frozen=True)
class PipelineSettings:
    """Pacing of the pipeline; rates are writes per second per target system."""

    poll_interval_s: float = 2.0
    page_size: int = 500
    change_batch: int = 100
    rates: Mapping[str, float] | None = None
    idle_seconds: float = 0.2
    quiet_interval_s: float = 1.2
    """Between quiet checks: longer than the coarsest change stamp (whole seconds)."""


class SyncPipeline:
    """Runs the master-data sync between the connected systems."""

    def __init__(
        self,
        database: Engine,
        routes: Mapping[str, EntityRoute],
        connectors: Mapping[str, Connector],
        settings: PipelineSettings | None = None,
        backbone: Backbone | None = None,
    ) -> None:
        self.settings = settings or PipelineSettings()
        self.database = database
        self.backbone: Backbone = backbone or SqlBackbone(database)
        self.engine = SyncEngine(routes)
        self.connectors = dict(connectors)
        self.poller = ChangePoller(database, self.backbone)
        self.targets = [
            PollTarget(
                self.connectors[endpoint.system],
                endpoint.object_name,
                route.entity,
                self.settings.page_size,
            )
            for route in routes.values()
            for endpoint in route.endpoints
        ]
        guards = TargetGuards(self.settings.rates or {})
        idle = self.settings.idle_seconds
        self.workers = [
            Worker(
                self.backbone,
                ChangeHandler(database, self.engine, self.backbone),
                WorkerSettings(
                    CHANGES_TOPIC,
                    SYNC_GROUP,
                    "causeway",
                    self.settings.change_batch,
                    idle_seconds=idle,
                ),
                guards=guards,
            )
        ]
        for system, connector in self.connectors.items():
            self.workers.append(
                Worker(
                    self.backbone,
                    CommandHandler(database, self.engine, connector),
                    WorkerSettings(
                        commands_topic(system),
                        WRITER_GROUP,
                        system,
                        connector.max_batch,
                        idle_seconds=idle,
                    ),
                    guards=guards,
                )
            )
        self.subscribe()

    def subscribe(self) -> None:
        """Create the consumer groups, so nothing published before a worker starts is missed."""
        self.backbone.subscribe(CHANGES_TOPIC, SYNC_GROUP)
        for system in self.connectors:
            self.backbone.subscribe(commands_topic(system), WRITER_GROUP)

    def written(self) -> int:
        """Write commands settled so far: done or parked, per envelope (not per attempt)."""
        return sum(
            s.done + s.parked for s in self.backbone.stats() if s.topic.startswith("sync.commands.")
        )

    def parked(self) -> int:
        """Envelopes parked for an operator, on every topic."""
        return sum(s.parked for s in self.backbone.stats())

    def pending(self) -> int:
        """Envelopes not yet settled (ready, in flight or waiting for a retry)."""
        return sum(s.ready + s.in_flight + s.scheduled for s in self.backbone.stats())

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and work until `stop` is set."""
        tasks = [asyncio.create_task(worker.run()) for worker in self.workers]
        try:
            await self.poller.run(self.targets, self.settings.poll_interval_s, stop)
        finally:
            for worker in self.workers:
                worker.stop()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_until_quiet(self, timeout_s: float = 600.0, quiet_rounds: int = 2) -> int:
        """Poll and process until nothing changes any more (tests, demo, initial loads).

        Returns the number of changes read. Quiet means: `quiet_rounds` polls in a row found
        nothing new and every topic is drained (parked envelopes do not count).
        """
        deadline = time.monotonic() + timeout_s
        read = 0
        quiet = 0
        while quiet < quiet_rounds:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sync did not settle in {timeout_s}s")
            published = 0
            for target in self.targets:
                published += await self.poller.drain(target)
            read += published
            busy = True
            while busy:
                busy = False
                for worker in self.workers:
                    if await worker.run_once():
                        busy = True
                waiting = await asyncio.to_thread(self.pending)
                if not busy and waiting:
                    # Retries wait for their backoff: give them time, then look again.
                    await asyncio.sleep(self.settings.idle_seconds)
                    busy = time.monotonic() < deadline
            quiet = quiet + 1 if published == 0 else 0
            if quiet < quiet_rounds:
                await asyncio.sleep(self.settings.quiet_interval_s)
        return read
