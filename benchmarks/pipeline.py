"""The sync pipeline end to end against the sandboxes: throughput, latency, memory, baseline.

1. **Burst**: N accounts exist only in the CRM; the pipeline (embedded SQLite backbone)
   reads them, creates each in the ERP, stamps the reference back and reads both echoes,
   until quiet. Records per second = N / elapsed.
2. **Offered rate**: with the pipeline running, CRM users rename accounts at a fixed rate
   for a fixed time. End-to-end latency of each rename = when its ERP write was done
   (`runtime_delivery.done_at` of the command) minus when the CRM committed it (the
   change's SystemModstamp): p50, p95, p99.
3. **Baselines**, in the same run:
   - *raw insert*: the same N account payloads inserted into a SQLite table in batches of
     200, as raw as Python can write them. The ratio says what the pipeline costs beyond
     storing the data once.
   - *wire floor*: on a second pair of sandboxes, only the calls the pipeline cannot avoid
     for N new CRM accounts, made back to back with payloads prepared beforehand: read the
     CRM changes, create each partner in the ERP by its reference (the connector's own
     write path), read the ERP changes, write the ERP number and Causeway's id back to the
     CRM, read the CRM's echo. No golden records, no backbone, no bookkeeping. The ratio
     says what Causeway's own work costs beyond the systems' wire; the floor itself says how
     fast any integration could go against these sandboxes on this machine.

Peak memory is the process's maximum resident set (sandboxes included: they run in it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select

from benchmarks.concurrent_edits import user_connectors
from causeway.connectors.contract import (
    Connector,
    RawRecord,
    WriteKey,
    WriteOperation,
    WriteRequest,
)
from causeway.demo import connectors_for
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.launch import start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.store.tables.runtime import delivery, envelope
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.messages import commands_topic
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.xref import new_canonical_id, short_reference


def baseline(payloads: list[dict[str, Any]], folder: Path) -> float:
    """Records per second of a raw batched insert of the same payloads into SQLite."""
    connection = sqlite3.connect(folder / "baseline.sqlite")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE record (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    started = time.perf_counter()
    for start in range(0, len(payloads), 200):
        rows = [(str(p["Id"]), orjson.dumps(p).decode()) for p in payloads[start : start + 200]]
        with connection:
            connection.executemany("INSERT INTO record VALUES (?, ?)", rows)
    seconds = time.perf_counter() - started
    connection.close()
    return len(payloads) / seconds


async def read_all(
    connector: Connector, object_name: str, cursor: str | None
) -> tuple[list[RawRecord], str | None]:
    """Every change after `cursor`, page by page, and the cursor after them."""
    records: list[RawRecord] = []
    while True:
        page = await connector.changes(object_name, cursor, 2000)
        records.extend(page.records)
        cursor = page.cursor
        if not page.more:
            return records, cursor


async def wire_floor(records: int, folder: Path) -> dict[str, Any]:
    """Records per second of the unavoidable calls alone, on sandboxes of their own."""
    universe = generate(
        SeedConfig(accounts=records, erp_customers=0, products=0, contacts_per_account=0)
    )
    running = start_both(universe, folder / "floor")
    salesforce, s4 = connectors_for(running, settle=timedelta(0))
    mappings = shipped_mappings()
    inbound = mappings.get("salesforce", "Account", "customer")
    outbound = mappings.get("s4hana", "A_BusinessPartner", "customer")
    steps: dict[str, float] = {}
    try:
        await asyncio.sleep(1.5)
        started = time.perf_counter()
        accounts, crm_cursor = await read_all(salesforce, "Account", None)
        steps["crm_read"] = time.perf_counter() - started
        # Prepared outside the clock: mapping is Causeway's work, not the wire's.
        identities = [(account.id, new_canonical_id()) for account in accounts]
        creates = []
        for account, (_, canonical_id) in zip(accounts, identities, strict=True):
            document = inbound.to_canonical(account.fields).model_dump(
                mode="json", exclude_none=True
            ) | {"id": canonical_id}
            fields = {k: v for k, v in outbound.to_system(document).items() if v is not None}
            reference = short_reference(canonical_id)
            creates.append(
                WriteRequest(
                    "A_BusinessPartner",
                    WriteOperation.UPSERT,
                    WriteKey(external_field="SearchTerm2", external_value=reference),
                    fields,
                    f"floor-create-{canonical_id}",
                )
            )
        started = time.perf_counter()
        numbers: list[str | None] = []
        for start in range(0, len(creates), s4.max_batch):
            results = await s4.write(creates[start : start + s4.max_batch])
            numbers.extend(result.system_id for result in results)
        steps["erp_create"] = time.perf_counter() - started
        started = time.perf_counter()
        partners, _ = await read_all(s4, "A_BusinessPartner", None)
        steps["erp_read"] = time.perf_counter() - started
        stamps = [
            WriteRequest(
                "Account",
                WriteOperation.UPDATE,
                WriteKey(system_id=account_id),
                {"Causeway_Id__c": canonical_id, "ERP_Customer_Number__c": number},
                f"floor-stamp-{canonical_id}",
            )
            for (account_id, canonical_id), number in zip(identities, numbers, strict=True)
        ]
        started = time.perf_counter()
        failed = 0
        for start in range(0, len(stamps), salesforce.max_batch):
            results = await salesforce.write(stamps[start : start + salesforce.max_batch])
            failed += sum(1 for result in results if not result.ok)
        steps["crm_stamp"] = time.perf_counter() - started
        started = time.perf_counter()
        echoes, _ = await read_all(salesforce, "Account", crm_cursor)
        steps["crm_echo_read"] = time.perf_counter() - started
        seconds = sum(steps.values())
        return {
            "records_per_second": round(records / seconds, 1),
            "seconds": round(seconds, 2),
            "steps_s": {name: round(value, 2) for name, value in steps.items()},
            "erp_created": sum(1 for number in numbers if number),
            "read": {"crm": len(accounts), "erp": len(partners), "crm_echo": len(echoes)},
            "failed_writes": failed + sum(1 for number in numbers if not number),
        }
    finally:
        await salesforce.aclose()
        await s4.aclose()
        running.stop()


def latencies(database: Engine, since: datetime) -> list[float]:
    """Seconds from each CRM change to the done ERP write it caused, for changes after `since`."""
    command, change = envelope.alias("command"), envelope.alias("change")
    found: list[float] = []
    with database.connect() as connection:
        commands = connection.execute(
            select(command.c.headers, delivery.c.done_at)
            .select_from(command)
            .join(delivery, delivery.c.seq == command.c.seq)
            .where(command.c.topic == commands_topic("s4hana"), delivery.c.status == "done")
        ).all()
        causes = {json.loads(headers).get("causation_id"): done_at for headers, done_at in commands}
        changes = connection.execute(
            select(change.c.id, change.c.payload).where(change.c.id.in_(list(causes)))
        ).all()
    for change_id, payload in changes:
        data = json.loads(payload)
        if data.get("system") != "salesforce" or not data.get("modified_at"):
            continue
        committed = datetime.fromisoformat(data["modified_at"])
        if committed < since:
            continue
        done = causes[change_id]
        if done.tzinfo is None:
            done = done.replace(tzinfo=committed.tzinfo)
        found.append((done - committed).total_seconds())
    return found


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def measure(records: int, rate: float, seconds: float) -> dict[str, Any]:
    """Run the burst, the offered-rate phase and the baseline; return the figures."""
    universe = generate(
        SeedConfig(accounts=records, erp_customers=0, products=0, contacts_per_account=0)
    )
    folder = Path(tempfile.mkdtemp(prefix="causeway-pipeline-"))
    running = start_both(universe, folder)
    database = make_engine(f"sqlite:///{folder / 'causeway.sqlite'}")
    upgrade(database)
    salesforce, s4 = connectors_for(running, settle=timedelta(seconds=1))
    config = default_sync_config()
    for entity in ("product", "contact"):
        config.entities.pop(entity)
    pipeline = SyncPipeline(
        database,
        build_routes(config, shipped_mappings()),
        {"salesforce": salesforce, "s4hana": s4},
        PipelineSettings(idle_seconds=0.02, poll_interval_s=0.2, page_size=2000),
    )
    figures: dict[str, Any] = {"records": records}
    try:
        await asyncio.sleep(1.5)
        started = time.perf_counter()
        await pipeline.run_until_quiet(timeout_s=7200)
        burst = time.perf_counter() - started
        figures["burst"] = {
            "seconds": round(burst, 1),
            "records_per_second": round(records / burst, 1),
            "writes": pipeline.written(),
            "parked": pipeline.parked(),
        }
        payloads = [
            {"Id": f"001{n:015d}", **account.model_dump(mode="json")}
            for n, account in enumerate(universe.crm_accounts)
        ]
        raw = baseline(payloads, folder)
        figures["baseline_records_per_second"] = round(raw)
        figures["baseline_ratio"] = round(raw / (records / burst), 1)
        floor = await wire_floor(records, folder)
        figures["wire_floor"] = floor
        figures["wire_floor_ratio"] = round(floor["records_per_second"] / (records / burst), 1)

        accounts = [r.id for r in (await salesforce.poll("Account", None, records)).records]
        stop = asyncio.Event()
        syncing = asyncio.create_task(pipeline.run(stop))
        user, _clerk = user_connectors(running)
        since = datetime.now().astimezone()
        offered = int(rate * seconds)
        begun = time.perf_counter()
        for number in range(offered):
            due = begun + number / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            account = accounts[number % len(accounts)]
            await user.write(
                [
                    WriteRequest(
                        "Account",
                        WriteOperation.UPDATE,
                        WriteKey(system_id=account),
                        {"Name": f"Renamed {uuid.uuid4().hex[:8]} Ltd"},
                        f"rename-{number}",
                    )
                ]
            )
        achieved = offered / (time.perf_counter() - begun)
        await asyncio.sleep(5)
        stop.set()
        await syncing
        await pipeline.run_until_quiet(timeout_s=600)
        await user.aclose()
        await _clerk.aclose()
        seen = latencies(database, since)
        figures["offered_rate"] = {
            "renames": offered,
            "offered_per_second": rate,
            "achieved_per_second": round(achieved, 1),
            "measured": len(seen),
            "p50_s": round(percentile(seen, 0.50), 2) if seen else None,
            "p95_s": round(percentile(seen, 0.95), 2) if seen else None,
            "p99_s": round(percentile(seen, 0.99), 2) if seen else None,
            "mean_s": round(statistics.fmean(seen), 2) if seen else None,
        }
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return figures
    finally:
        await salesforce.aclose()
        await s4.aclose()
        running.stop()
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.pipeline [--records N --rate R --seconds S]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args(argv)
    configure_logging("WARNING")
    figures = asyncio.run(measure(arguments.records, arguments.rate, arguments.seconds))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
