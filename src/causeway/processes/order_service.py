"""The order-to-cash host: the engine, the trigger on CRM orders and the ERP milestone feed.

One OS process runs it (`causeway orders run`); instances interrupted by a crash resume when
it starts again, and the pollers continue from their stored cursors.
"""

from __future__ import annotations

import threading

import structlog

from causeway.processes.engine import ProcessEngine
from causeway.processes.order_events import MilestoneFeed, OrderTrigger
from causeway.processes.order_systems import OrderSystems, install

# Importing the definition registers it with the engine before launch.
from causeway.processes.order_to_cash import order_to_cash  # noqa: F401

log = structlog.get_logger("causeway.processes")


class OrderService:
    """Runs the pollers that start and feed order-to-cash instances."""

    def __init__(self, systems: OrderSystems, engine: ProcessEngine) -> None:
        self.systems = systems
        self.engine = engine
        self.trigger = OrderTrigger(systems, engine)
        self.milestones = MilestoneFeed(systems, engine)

    def run_once(self) -> int:
        """One round of both pollers; answers how many instances were started or signalled."""
        return self.trigger.poll_once() + self.milestones.poll_once()

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; a failed round is logged and tried again next round."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception as error:  # a system being down must not end the host
                log.warning("order pollers failed this round", error=str(error))
            stop.wait(self.systems.settings.poll_interval_s)


def host(systems: OrderSystems, database_url: str) -> tuple[OrderService, ProcessEngine]:
    """Install the systems and launch the engine: the host is ready to run."""
    install(systems)
    engine = ProcessEngine(database_url)
    engine.launch()
    return OrderService(systems, engine), engine
