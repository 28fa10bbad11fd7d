"""An ERP outage during a burst: the backlog is held, nothing is lost, the limit is honoured.

The sandboxes run in this process; the sync runtime runs as its own process
(`causeway sync run -p causeway.yaml`, the embedded default on SQLite), as an operator runs
it. The ERP sits behind a spike arrest (`rate_limit` in its fault plan: more calls per
second than allowed are refused with 429), and the project paces the S/4HANA connector a
little below it.

1. The CRM's accounts are created in the ERP and the sync goes quiet.
2. The ERP goes down for `--outage` seconds. Meanwhile sales reps make `--changes` renames
   at `--rate` per second through the CRM's API (sObject Collections, 200 a call), account
   after account, each numbered per account (`Burst 17 #5`); the runtime is killed once with
   SIGKILL and started again, with the backlog in hand.
3. The ERP comes back; the backlog drains through the spike arrest.

Afterwards: every account's ERP name must be its last CRM name (reconciliation: 0 missing,
0 duplicated, 0 differing), the ERP's change documents must show no account's numbers going
backwards, the spike arrest must have refused nothing, and the runtime's resident memory
is sampled every second throughout (its peak and its value before the burst are reported).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from benchmarks.concurrent_edits import user_connectors
from benchmarks.crash_safety import (
    change_documents,
    order_violations,
    start_runtime,
    write_sync_file,
)
from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.demo import connectors_for, write_project_file
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.tables.runtime import delivery, envelope
from causeway.sync.messages import commands_topic
from causeway.sync.reconcile import reconcile

NAME = re.compile(r"^Burst (\d+) #(\d+)$")
ERP_COMMANDS = commands_topic("s4hana")


def _admin(running: RunningSandboxes, method: str, path: str, body: Any = None) -> Any:
    """Call the ERP sandbox's admin API."""
    if running.erp is None or running.erp_settings is None:
        raise RuntimeError("the ERP sandbox is not running")
    headers = {"Authorization": f"Bearer {running.erp_settings.admin_token}"}
    with httpx.Client(base_url=running.erp.url, timeout=30) as client:
        response = client.request(method, f"/__admin{path}", json=body, headers=headers)
        response.raise_for_status()
        return response.json()


def backlog(database: Engine) -> dict[str, int]:
    """Unsettled deliveries per topic (ready, leased or waiting for a retry)."""
    try:
        with database.connect() as connection:
            rows = connection.execute(
                select(envelope.c.topic, func.count())
                .select_from(delivery.join(envelope, envelope.c.seq == delivery.c.seq))
                .where(delivery.c.status.in_(("ready", "leased", "scheduled")))
                .group_by(envelope.c.topic)
            ).all()
    except OperationalError:  # the runtime has not created its tables yet
        return {}
    return {str(topic): int(count) for topic, count in rows}


def settled(database: Engine, topic: str) -> dict[str, int]:
    """Deliveries of a topic by status."""
    with database.connect() as connection:
        rows = connection.execute(
            select(delivery.c.status, func.count())
            .select_from(delivery.join(envelope, envelope.c.seq == delivery.c.seq))
            .where(envelope.c.topic == topic)
            .group_by(delivery.c.status)
        ).all()
    return {str(status): int(count) for status, count in rows}


class Sampler:
    """The runtime's resident memory and the backlog, once a second."""

    def __init__(self, database: Engine) -> None:
        self.database = database
        self.pid: int | None = None
        self.samples: list[dict[str, Any]] = []
        self.started = time.perf_counter()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            rss = 0
            if self.pid is not None:
                try:
                    rss = psutil.Process(self.pid).memory_info().rss
                except psutil.NoSuchProcess:
                    rss = 0
            waiting = await asyncio.to_thread(backlog, self.database)
            self.samples.append(
                {
                    "t": round(time.perf_counter() - self.started, 1),
                    "rss_mb": round(rss / 2**20, 1),
                    "erp_backlog": waiting.get(ERP_COMMANDS, 0),
                    "changes_backlog": waiting.get("sync.changes", 0),
                }
            )
            await asyncio.sleep(1.0)

    def peak(self, key: str, since: float = 0.0) -> float:
        return max((s[key] for s in self.samples if s["t"] >= since), default=0)


async def wait_quiet(database: Engine, timeout: float, settle: float = 6.0) -> float:
    """Wait until nothing is waiting on any topic for `settle` seconds; returns when it began."""
    deadline = time.perf_counter() + timeout
    quiet_since: float | None = None
    while time.perf_counter() < deadline:
        waiting = sum((await asyncio.to_thread(backlog, database)).values())
        now = time.perf_counter()
        if waiting:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle:
            return quiet_since
        await asyncio.sleep(0.5)
    raise TimeoutError(f"the backlog did not drain in {timeout}s")


async def burst(
    running: RunningSandboxes, changes: int, rate: float
) -> tuple[int, dict[str, int], float]:
    """Rename the accounts round after round, 200 per call at `rate` renames per second,
    until `changes` are saved; returns (saved, the last number per account, seconds)."""
    salesforce, clerk = user_connectors(running)
    accounts = sorted(running.crm_seed_index.values())
    numbers = {account: number for number, account in enumerate(accounts)}
    last: dict[str, int] = {}
    saved = 0
    started = time.perf_counter()
    try:
        position = 0
        while saved < changes:
            size = min(200, changes - saved)
            chosen = [accounts[(position + i) % len(accounts)] for i in range(size)]
            position += size
            requests = []
            for account in chosen:
                last[account] = last.get(account, 0) + 1
                requests.append(
                    WriteRequest(
                        "Account",
                        WriteOperation.UPDATE,
                        WriteKey(system_id=account),
                        {"Name": f"Burst {numbers[account]} #{last[account]}"},
                        f"burst-{account}-{last[account]}",
                    )
                )
            results = await salesforce.write(requests)
            failed = [r.error for r in results if r.error is not None]
            if failed:
                raise RuntimeError(f"the CRM refused renames: {failed[:3]}")
            saved += size
            due = started + saved / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
    finally:
        await salesforce.aclose()
        await clerk.aclose()
    return saved, last, time.perf_counter() - started


async def measure(
    accounts: int, changes: int, rate: float, outage: float, limit: float, folder: Path
) -> dict[str, Any]:
    """Run the scenario; return its figures."""
    universe = generate(
        SeedConfig(
            accounts=accounts, erp_customers=0, overlap=0.0, products=0, contacts_per_account=0
        )
    )
    running = start_both(universe, folder)
    project = write_project_file(running, folder)
    settings = yaml.safe_load(project.read_text())
    settings["sync"] = str(write_sync_file(folder))
    # Paced a tenth below the gateway's limit, with a short burst of its own.
    settings["systems"]["s4hana"] |= {"calls_per_second": limit * 0.9, "burst": 5}
    project.write_text(yaml.safe_dump(settings, sort_keys=False))
    _admin(
        running,
        "PATCH",
        "/faults",
        {"rate_limit": {"requests_per_second": limit, "burst": 10}},
    )
    database = make_engine(str(settings["database"]))
    log = folder / "runtime.log"
    sampler = Sampler(database)
    stop_sampling = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop_sampling))
    figures: dict[str, Any] = {"accounts": accounts, "erp_limit_per_second": limit}
    runtime = start_runtime(project, log)
    sampler.pid = runtime.pid
    try:
        began = time.perf_counter()
        await asyncio.sleep(3)
        await wait_quiet(database, timeout=3600)
        figures["initial_sync_s"] = round(time.perf_counter() - began, 1)
        before = sampler.samples[-1]["rss_mb"] if sampler.samples else 0
        figures["rss_before_burst_mb"] = before

        window = _admin(running, "POST", "/faults/outage", {"seconds": outage})
        outage_started = time.perf_counter()
        saved, last, burst_seconds = await burst(running, changes, rate)
        figures["burst"] = {
            "renames": saved,
            "seconds": round(burst_seconds, 1),
            "per_second": round(saved / burst_seconds, 1),
        }
        # Killed with the backlog in hand, halfway through the outage, and started again.
        await asyncio.sleep(max(0.0, outage / 2 - (time.perf_counter() - outage_started)))
        held = backlog(database)
        runtime.send_signal(signal.SIGKILL)
        await asyncio.to_thread(runtime.wait)
        figures["killed_with_backlog"] = held
        runtime = start_runtime(project, log)
        sampler.pid = runtime.pid
        await asyncio.sleep(max(0.0, outage - (time.perf_counter() - outage_started)))
        at_recovery = backlog(database)
        figures["backlog_when_erp_returned"] = at_recovery
        recovered = time.perf_counter() - sampler.started
        refused_before = _admin(running, "GET", "/faults")["injected"].get("rate_limited", 0)
        drain_started = time.perf_counter()
        quiet = await wait_quiet(database, timeout=7200)
        drained = quiet - drain_started
        commands = settled(database, ERP_COMMANDS)
        state = _admin(running, "GET", "/faults")
        figures["outage"] = {
            "seconds": outage,
            "window": window,
            "calls_refused_during_outage": state["injected"].get("outage", 0),
        }
        figures["drain"] = {
            "seconds": round(drained, 1),
            "erp_commands": commands,
            "erp_commands_per_second": round(at_recovery.get(ERP_COMMANDS, 0) / drained, 1)
            if drained > 0
            else None,
            "refused_by_the_spike_arrest_after_recovery": state["injected"].get("rate_limited", 0)
            - refused_before,
            "peak_erp_calls_in_one_second": state["peak_per_second"],
        }
        figures["memory"] = {
            "rss_before_burst_mb": before,
            "peak_rss_mb": sampler.peak("rss_mb"),
            "peak_rss_after_recovery_mb": sampler.peak("rss_mb", since=recovered),
            "peak_erp_backlog": sampler.peak("erp_backlog"),
            "peak_changes_backlog": sampler.peak("changes_backlog"),
        }
        runtime.send_signal(signal.SIGTERM)
        await asyncio.to_thread(runtime.wait, 120)
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
        figures["reconcile"] = report.summary()
        figures["stale_names"] = await asyncio.to_thread(stale_names, running, last)
        checked, violations = order_violations(change_documents(running), NAME)
        figures["erp_versions_checked"] = checked
        figures["order_violations"] = len(violations)
        figures["violation_examples"] = violations[:5]
        return figures
    finally:
        stop_sampling.set()
        await sampling
        if runtime.poll() is None:
            runtime.kill()
        figures["samples_file"] = str(folder / "samples.json")
        (folder / "samples.json").write_text(json.dumps(sampler.samples))
        running.stop()
        database.dispose()


def stale_names(running: RunningSandboxes, last: dict[str, int]) -> int:
    """ERP partners whose name is not the last rename of their account (lost updates)."""
    documents = change_documents(running)
    final: dict[str, str] = {}
    for document in documents:
        name = str(document["body"].get("OrganizationBPName1") or "")
        if NAME.match(name):
            final["/".join(document["key"])] = name
    accounts = sorted(running.crm_seed_index.values())
    wanted = {f"Burst {n} #{last[a]}" for n, a in enumerate(accounts) if a in last}
    return len(wanted - set(final.values()))


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.outage [--changes N --accounts N --outage S]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=250.0, help="renames per second")
    parser.add_argument("--outage", type=float, default=240.0, help="seconds the ERP is down")
    parser.add_argument("--limit", type=float, default=150.0, help="ERP calls per second")
    arguments = parser.parse_args(argv)
    configure_logging("WARNING")
    folder = Path(tempfile.mkdtemp(prefix="causeway-outage-"))
    figures = asyncio.run(
        measure(
            arguments.accounts,
            arguments.changes,
            arguments.rate,
            arguments.outage,
            arguments.limit,
            folder,
        )
    )
    figures["folder"] = str(folder)
    print(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
