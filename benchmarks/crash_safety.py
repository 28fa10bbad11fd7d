"""Crash safety: the runtime killed with SIGKILL again and again while customers change.

The sandboxes run in this process; the sync runtime runs as its own process
(`causeway sync run -p causeway.yaml`, the embedded default on SQLite) and is killed with
SIGKILL at random moments, then started again. Meanwhile it creates the CRM's accounts in the
ERP (and the ERP's customers in the CRM), and "sales reps" keep renaming those accounts in the
CRM, each rename carrying a sequence number per account (`Crash 17 #5`).

Afterwards, with the runtime run once more until quiet:
- reconciliation must find every CRM account in the ERP exactly once, agreeing (0 lost,
  0 duplicated, 0 drifted);
- the ERP's change documents (every version each partner went through) must show each
  account's sequence numbers never going backwards: per-entity order held across crashes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import yaml
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError

from benchmarks.concurrent_edits import user_connectors
from causeway.connectors.contract import Connector, WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ConnectorError
from causeway.demo import connectors_for, write_project_file
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.tables.runtime import delivery
from causeway.sync.config import default_sync_config
from causeway.sync.reconcile import reconcile

SEQUENCE = re.compile(r"^Crash (\d+) #(\d+)$")


@dataclass
class Driver:
    """What the sales reps did: the last number each renamed account carries."""

    renames: int = 0
    last: dict[str, int] = field(default_factory=dict)
    """CRM account id -> the highest sequence number saved on it."""


def runtime_command(project: Path) -> list[str]:
    """The sync runtime as an operator starts it."""
    return [str(Path(sys.executable).with_name("causeway")), "sync", "run", "-p", str(project)]


def start_runtime(project: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own command line, no shell
            [*runtime_command(project), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CAUSEWAY_LOG_LEVEL": "WARNING"},
        )


async def drive(
    running: RunningSandboxes,
    stop: asyncio.Event,
    rate: float,
    rng: random.Random,
    driver: Driver,
) -> None:
    """Rename seeded accounts with rising sequence numbers per account until `stop`.

    The accounts are new to the ERP: the runtime creates them there while they are renamed.
    """
    salesforce, _ = user_connectors(running)
    accounts = sorted(running.crm_seed_index.values())
    numbers = {account: index for index, account in enumerate(accounts)}
    try:
        while not stop.is_set():
            account = rng.choice(accounts)
            sequence = driver.last.get(account, 0) + 1
            request = WriteRequest(
                object_name="Account",
                operation=WriteOperation.UPDATE,
                key=WriteKey(system_id=account),
                fields={"Name": f"Crash {numbers[account]} #{sequence}"},
                idempotency_key=f"crash-rename-{account}-{sequence}",
            )
            if await _persist(salesforce, request):
                driver.last[account] = sequence
                driver.renames += 1
            await asyncio.sleep(rng.expovariate(rate))
    finally:
        await salesforce.aclose()


async def _persist(connector: Connector, request: WriteRequest) -> bool:
    """A rep retries until the CRM saved it."""
    for _ in range(20):
        try:
            [result] = await connector.write([request])
        except ConnectorError:
            await asyncio.sleep(0.2)
            continue
        if result.ok:
            return True
        await asyncio.sleep(0.2)
    return False


async def kill_repeatedly(
    project: Path,
    log: Path,
    kills: int,
    gap: tuple[float, float],
    rng: random.Random,
    database: Engine,
) -> tuple[list[float], list[int]]:
    """Start the runtime, SIGKILL it after a random while, start it again; `kills` times.

    Returns how long each run lived and how many envelopes were under lease when it died
    (work in flight a later run had to take over once the lease ran out; leases left by
    earlier killed runs count until they expire).
    """
    lived, in_flight = [], []
    for _ in range(kills):
        process = start_runtime(project, log)
        started = time.perf_counter()
        await asyncio.sleep(rng.uniform(*gap))
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        lived.append(round(time.perf_counter() - started, 1))
        in_flight.append(await asyncio.to_thread(_leased, database))
    return lived, in_flight


def _leased(database: Engine) -> int:
    try:
        with database.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(delivery).where(delivery.c.status == "leased")
                ).scalar_one()
            )
    except OperationalError:  # killed before its first start created the tables
        return 0


def change_documents(running: RunningSandboxes) -> list[dict[str, Any]]:
    """Every version of every ERP business partner, oldest first."""
    if running.erp is None or running.erp_settings is None:
        raise RuntimeError("the ERP sandbox is not running")
    token = running.erp_settings.admin_token
    documents: list[dict[str, Any]] = []
    with httpx.Client(base_url=running.erp.url, timeout=30) as client:
        after = 0
        while True:
            page = client.get(
                "/__admin/change-documents/A_BusinessPartner",
                params={"after": after, "limit": 5000},
                headers={"Authorization": f"Bearer {token}"},
            )
            page.raise_for_status()
            rows = page.json()
            if not rows:
                return documents
            documents.extend(rows)
            after = rows[-1]["seq"]


def order_violations(
    documents: list[dict[str, Any]], pattern: re.Pattern[str] = SEQUENCE
) -> tuple[int, list[str]]:
    """Partners whose name went back to an older sequence number; (versions checked, examples).

    `pattern` reads (account number, sequence number) from a name."""
    highest: dict[str, tuple[int, int]] = {}  # partner -> (account number, sequence)
    checked = 0
    examples = []
    for document in documents:
        match = pattern.match(str(document["body"].get("OrganizationBPName1") or ""))
        if match is None:
            continue
        checked += 1
        partner = "/".join(document["key"])
        number, sequence = int(match.group(1)), int(match.group(2))
        seen = highest.get(partner)
        if seen is not None and seen[0] == number and sequence < seen[1]:
            examples.append(f"{partner}: #{sequence} after #{seen[1]}")
            continue
        highest[partner] = (number, sequence)
    return checked, examples


def write_sync_file(folder: Path) -> Path:
    """Customers only: the scenario drives accounts."""
    config = default_sync_config()
    for entity in ("contact", "product"):
        config.entities.pop(entity)
    path = folder / "sync.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    return path


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server at `server`, dropped afterwards."""
    name = f"causeway_crash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def delete_streams(nats_url: str, prefix: str) -> None:
    """Remove the JetStream streams one run created."""
    connection = await nats.connect(nats_url)
    try:
        jetstream = connection.jetstream()
        for info in await jetstream.streams_info():
            if info.config.name and info.config.name.startswith(f"{prefix}_"):
                await jetstream.delete_stream(info.config.name)
    finally:
        await connection.close()


async def measure(
    accounts: int,
    kills: int,
    folder: Path,
    gap: tuple[float, float] = (2.0, 8.0),
    rate: float = 20.0,
    seed: int = 5,
    database_url: str | None = None,
    runtime: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the scenario and return its figures.

    By default the runtime keeps its state in SQLite in `folder` with the SQL backbone;
    `database_url` (PostgreSQL) and `runtime` (a project file's `runtime:` section, such as
    `{"backend": "jetstream", "nats_url": ...}`) choose the scale-out set-up instead.
    """
    universe = generate(
        SeedConfig(
            accounts=accounts,
            erp_customers=accounts // 2,
            overlap=0.0,
            products=0,
            contacts_per_account=0,
            seed=seed,
        )
    )
    running = start_both(universe, folder)
    project = write_project_file(running, folder)
    settings = yaml.safe_load(project.read_text())
    settings["sync"] = str(write_sync_file(folder))
    if database_url:
        settings["database"] = database_url
    if runtime:
        settings["runtime"] = runtime
    project.write_text(yaml.safe_dump(settings, sort_keys=False))
    log = folder / "runtime.log"
    rng = random.Random(seed)
    driver = Driver()
    try:
        stop = asyncio.Event()
        started = time.perf_counter()
        driving = asyncio.create_task(drive(running, stop, rate, rng, driver))
        database = make_engine(str(settings["database"]))
        lived, in_flight = await kill_repeatedly(
            project, log, kills, gap, random.Random(seed + 1), database
        )
        stop.set()
        await driving
        # One last run, left alone until both sides are in step.
        final = start_runtime(project, log, "--until-quiet")
        code = await asyncio.to_thread(final.wait, 1800)
        seconds = time.perf_counter() - started
        salesforce, s4 = connectors_for(running)
        catalog = shipped_mappings()
        try:
            report = await reconcile(
                database,
                "customer",
                (salesforce, catalog.get("salesforce", "Account", "customer")),
                (s4, catalog.get("s4hana", "A_BusinessPartner", "customer")),
            )
        finally:
            await salesforce.aclose()
            await s4.aclose()
            database.dispose()
        checked, violations = order_violations(change_documents(running))
        return {
            "database": str(settings["database"]).split(":")[0],
            "backbone": (runtime or {}).get("backend", "sql"),
            "kills": len(lived),
            "runtime_lived_s": lived,
            "leased_when_killed": in_flight,
            "kills_with_work_in_flight": sum(1 for count in in_flight if count),
            "accounts_renamed": len(driver.last),
            "renames_by_reps": driver.renames,
            "final_run_exit_code": code,
            "seconds": round(seconds, 1),
            "reconcile": report.summary(),
            "erp_versions_checked": checked,
            "order_violations": len(violations),
            "violation_examples": violations[:5],
        }
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.crash_safety [--kills N] [--accounts N]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20.0, help="rep writes per second")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="PostgreSQL and NATS JetStream instead of SQLite and the SQL backbone",
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    arguments = parser.parse_args(argv)
    configure_logging("WARNING")
    folder = Path(tempfile.mkdtemp(prefix="causeway-crash-"))
    if not arguments.scale_out:
        figures = asyncio.run(
            measure(arguments.accounts, arguments.kills, folder, rate=arguments.rate)
        )
    else:
        prefix = f"crash{uuid.uuid4().hex[:8]}"
        runtime = {"backend": "jetstream", "nats_url": arguments.nats, "prefix": prefix}
        with postgres_database(arguments.postgres) as url:
            try:
                figures = asyncio.run(
                    measure(
                        arguments.accounts,
                        arguments.kills,
                        folder,
                        rate=arguments.rate,
                        database_url=url,
                        runtime=runtime,
                    )
                )
            finally:
                asyncio.run(delete_streams(arguments.nats, prefix))
    figures["folder"] = str(folder)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
