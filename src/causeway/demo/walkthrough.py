"""The embedded demo: seeded sandboxes, matched, synced both ways and reconciled.

One process, no servers to install: both sandboxes start on loopback ports, the Salesforce
and S/4HANA connectors read what each side holds, the customers both know are matched, the
sync runs on the embedded SQLite backbone until quiet, and reconciliation shows the result.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import yaml
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from causeway.connectors.contract import Connector
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match, link_products_by_sku
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile


@dataclass(frozen=True)
class ObjectCount:
    """How many records one system object holds, with one example."""

    system: str
    object_name: str
    records: int
    example: str


def connectors_for(
    running: RunningSandboxes, settle: timedelta = timedelta(seconds=2)
) -> tuple[SalesforceConnector, S4Connector]:
    """Connectors configured against the running sandboxes."""
    if not (running.crm and running.crm_settings and running.tls):
        raise RuntimeError("the CRM sandbox is not running")
    if not (running.erp and running.erp_settings):
        raise RuntimeError("the ERP sandbox is not running")
    crm = running.crm_settings
    salesforce = SalesforceConnector(
        SalesforceSettings(
            login_url=running.crm.url,
            client_id=crm.client_id,
            client_secret=SecretStr(crm.client_secret),
            ca_bundle=running.tls.cert,
            change_source="events",
        ),
        settle=settle,
    )
    erp = running.erp_settings
    s4 = S4Connector(
        S4Settings(
            base_url=running.erp.url,
            username=erp.username,
            password=SecretStr(erp.password),
            sap_client=erp.sap_client,
        ),
        settle=settle,
    )
    return salesforce, s4


def write_project_file(running: RunningSandboxes, state_dir: Path) -> Path:
    """A project file for the running sandboxes, so every operator command works against them."""
    if not (running.crm and running.crm_settings and running.tls):
        raise RuntimeError("the CRM sandbox is not running")
    if not (running.erp and running.erp_settings):
        raise RuntimeError("the ERP sandbox is not running")
    project = {
        "database": f"sqlite:///{(state_dir / 'causeway.sqlite').resolve()}",
        "systems": {
            "salesforce": {
                "type": "salesforce",
                "login_url": running.crm.url,
                "client_id": running.crm_settings.client_id,
                "client_secret": running.crm_settings.client_secret,
                "ca_bundle": str(running.tls.cert.resolve()),
                "change_source": "events",
            },
            "s4hana": {
                "type": "s4hana",
                "base_url": running.erp.url,
                "username": running.erp_settings.username,
                "password": running.erp_settings.password,
                "sap_client": running.erp_settings.sap_client,
            },
        },
    }
    path = state_dir / "causeway.yaml"
    header = "# The demo's project: its sandboxes' addresses and (sandbox-only) credentials.\n"
    path.write_text(header + yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return path


async def count_all(connector: Connector, object_name: str, label: str) -> ObjectCount:
    """Read every record through the change feed from the beginning, as an initial load does."""
    cursor: str | None = None
    total = 0
    example = ""
    while True:
        page = await connector.changes(object_name, cursor, limit=2000)
        if page.records and not example:
            example = str(page.records[0].fields.get(label, page.records[0].id))
        total += len(page.records)
        cursor = page.cursor
        if not page.more:
            return ObjectCount(connector.system, object_name, total, example)


async def survey(running: RunningSandboxes) -> list[ObjectCount]:
    """What both systems hold, read through the connectors."""
    salesforce, s4 = connectors_for(running)
    try:
        return [
            await count_all(salesforce, "Account", "Name"),
            await count_all(salesforce, "Product2", "Name"),
            await count_all(s4, "A_BusinessPartner", "BusinessPartnerFullName"),
            await count_all(s4, "A_Product", "Product"),
        ]
    finally:
        await salesforce.aclose()
        await s4.aclose()


async def sync_both(running: RunningSandboxes, state_dir: Path) -> dict[str, object]:
    """Match the customers both sides know, sync customers and products, then reconcile."""
    database = make_engine(f"sqlite:///{state_dir / 'causeway.sqlite'}")
    upgrade(database)
    salesforce, s4 = connectors_for(running, settle=timedelta(seconds=1))
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    partner = catalog.get("s4hana", "A_BusinessPartner", "customer")
    try:
        matched = await initial_match(database, (salesforce, account), (s4, partner))
        await link_products_by_sku(database, salesforce, s4, catalog)
        pipeline = SyncPipeline(
            database,
            build_routes(default_sync_config(), catalog),
            {"salesforce": salesforce, "s4hana": s4},
            PipelineSettings(idle_seconds=0.05, quiet_interval_s=2.0),
        )
        started = time.perf_counter()
        changes = await pipeline.run_until_quiet(timeout_s=900)
        seconds = time.perf_counter() - started
        report = await reconcile(database, "customer", (salesforce, account), (s4, partner))
        config = default_sync_config()
        contacts = await reconcile(
            database,
            "contact",
            (salesforce, catalog.get("salesforce", "Contact", "contact")),
            (s4, catalog.get("s4hana", "ContactPerson", "contact")),
            ignore=frozenset(config.entities["contact"].compare_ignore),
        )
        return {
            "customers linked by matching": matched.linked,
            "pairs waiting for review": matched.for_review,
            "changes read": changes,
            "writes": pipeline.written(),
            f"parked (causeway dlq list --url sqlite:///{state_dir / 'causeway.sqlite'})": (
                pipeline.parked()
            ),
            "sync time": f"{seconds:.1f} s",
            "CRM accounts after sync": report.left_records,
            "ERP partners after sync": report.right_records,
            "customer pairs agreeing": report.agreeing,
            "customer pairs differing": len(report.differing),
            "CRM contacts / ERP contact persons": f"{contacts.left_records} / "
            f"{contacts.right_records}",
            "contact pairs agreeing": contacts.agreeing,
            "contact pairs differing": len(contacts.differing),
        }
    finally:
        await salesforce.aclose()
        await s4.aclose()
        database.dispose()


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DEMO_FILES = ("causeway.sqlite", "crm.sqlite", "erp.sqlite")
"""What a demo run leaves in its state folder; all three present means the next run resumes."""


def live_pipeline(
    running: RunningSandboxes, database: Engine
) -> tuple[SyncPipeline, list[Connector]]:
    """The continuous sync for the live phase, with its own connectors."""
    salesforce, s4 = connectors_for(running, settle=timedelta(seconds=1))
    pipeline = SyncPipeline(
        database,
        build_routes(default_sync_config(), shipped_mappings()),
        {"salesforce": salesforce, "s4hana": s4},
        PipelineSettings(poll_interval_s=1.0, idle_seconds=0.1),
    )
    return pipeline, [salesforce, s4]


async def go_live(
    running: RunningSandboxes,
    state_dir: Path,
    project: Path,
    console: Console,
    seconds: float | None,
) -> dict[str, float | int]:
    """The live phase, until Ctrl-C or `seconds`."""
    from causeway.demo.live import run_live

    database = make_engine(f"sqlite:///{state_dir / 'causeway.sqlite'}")
    upgrade(database)
    pipeline, connectors = live_pipeline(running, database)
    try:
        with logs_to(state_dir / "causeway.log"):
            return await run_live(running, database, pipeline, project, console, seconds)
    finally:
        for connector in connectors:
            await connector.aclose()
        database.dispose()


@contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """Send the log stream (stderr) to a file while the live screen owns the terminal; the
    screen itself writes to stdout."""
    with path.open("a", encoding="utf-8") as log_file, redirect_stderr(PlainText(log_file)):
        yield


class PlainText(io.TextIOBase):
    """A text file without terminal colour codes (logs coloured for a terminal land here)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        """Write `text` without its ANSI escape sequences."""
        return self.target.write(ANSI_ESCAPE.sub("", text))

    def flush(self) -> None:
        """Flush the file."""
        self.target.flush()


def run_demo(
    accounts: int = 200,
    products: int = 50,
    serve: bool = True,
    state_dir: Path = Path("var/demo"),
    console: Console | None = None,
    live_seconds: float | None = None,
    fresh: bool = False,
) -> list[ObjectCount]:
    """Start the seeded sandboxes, sync them, show the result, then run live until Ctrl+C.

    A state folder holding a previous run's files resumes it (no seeding, no initial sync)
    unless `fresh`; the walkthrough alone (`serve=False`) always starts fresh.
    """
    out = console or Console()
    state_dir.mkdir(parents=True, exist_ok=True)
    resuming = serve and not fresh and all((state_dir / name).exists() for name in DEMO_FILES)
    if not resuming:
        for name in (*DEMO_FILES, "causeway-processes.sqlite"):
            for path in state_dir.glob(f"{name}*"):
                path.unlink()
    universe = generate(SeedConfig(accounts=accounts, products=products))
    if resuming:
        out.print(f"Resuming the demo in {state_dir} (`--fresh` starts over).")
    else:
        out.print(
            f"Seeding {accounts} CRM accounts, {len(universe.erp_customers)} ERP customers "
            f"({len(universe.pairs())} known to both, spelled differently), {products} products."
        )
    running = start_both(universe, state_dir, persist=serve)
    try:
        # The connectors poll up to a settle horizon a moment behind "now".
        time.sleep(2.5)
        counts = asyncio.run(survey(running))
        table = Table(title="Read through Causeway's connectors")
        for column in ("system", "object", "records", "example"):
            table.add_column(column)
        for count in counts:
            table.add_row(count.system, count.object_name, str(count.records), count.example)
        out.print(table)
        if not resuming:
            out.print("Matching and syncing customers and products both ways...")
            outcome = asyncio.run(sync_both(running, state_dir))
            synced = Table(title="Initial sync, then reconciliation")
            synced.add_column("what")
            synced.add_column("value")
            for name, value in outcome.items():
                synced.add_row(name, str(value))
            out.print(synced)
        access = Table(title="Reach the sandboxes")
        for column in ("sandbox", "what", "value"):
            access.add_column(column)
        for row in running.describe():
            access.add_row(*row)
        out.print(access)
        project = write_project_file(running, state_dir)
        if serve:
            out.print("Going live: CRM users edit, sales reps quote, the ERP misbehaves...")
            figures = asyncio.run(go_live(running, state_dir, project, out, live_seconds))
            out.print(
                f"\nStopped cleanly after {figures['seconds']} s: "
                f"{figures['crm_edits']} CRM edits, {figures['orders_booked']} orders booked, "
                f"{figures['quotes_answered']} quotes in the last minute, "
                f"{figures['parked']} parked for an operator. Run `make demo` again to resume."
            )
        return counts
    finally:
        running.stop()
