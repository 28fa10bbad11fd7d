"""The sync pipeline end to end against the sandboxes: throughput, latency, memory, baseline.

1. **Burst**: N accounts exist only in the CRM; the pipeline (embedded SQLite backbone)
   reads them, creates each in the ERP, stamps the reference back and reads both echoes,
   until quiet. Records per second = N / elapsed.
2. **Offered rate**: with the pipeline running, CRM users rename accounts at a fixed rate
   for a fixed time. End-to-end latency of each rename = when its ERP write was done
   (`runtime_delivery.done_at` of the command) minus when the CRM committed it (the
   change's SystemModstamp): p50, p95, p99.
3. **Baseline**, in the same run: the same N account payloads inserted into a SQLite table
   in batches of 200, as raw as Python can write them. The ratio says what the pipeline
   costs beyond storing the data once.

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
from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
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
