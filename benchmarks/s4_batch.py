"""S/4HANA writes one by one against `$batch`, in the same run, against the ERP sandbox.

The ERP sandbox runs in its own process (so its work and the connector's do not share one
interpreter), optionally with a fixed latency per HTTP call (`--latency-ms`, what a network
and SAP Gateway add to every round trip). The S/4HANA connector then writes `--records`
business partners by reference, `--chunk` per `write` call as the sync's writer hands them
over: first as creates, then as updates of the same records, once with `batch: false` (a
lookup and a POST or PATCH per record, `--concurrency` records at once) and once with
`batch: true` (lookups by filter, then one `$batch` per `--parts` records).

Prints one JSON document: writes per second and HTTP calls per write for each mode and phase,
and the ratio batched / one by one.

    python -m benchmarks.s4_batch --records 2000 --latency-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
import uuid
from collections import Counter
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

import httpx
from pydantic import SecretStr

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.sandbox.faults import FaultPlan, LatencySpec
from causeway.sandbox.launch import start_erp
from causeway.sandbox.seed import SeedConfig, generate


def serve_erp(latency_ms: float, pipe: Connection) -> None:
    """Child process: run the ERP sandbox until the parent says stop."""
    universe = generate(SeedConfig(accounts=0, erp_customers=20, products=0))
    faults = FaultPlan(latency=LatencySpec(ms=latency_ms))
    server, settings = start_erp(universe, faults=faults, clock_speed=0)
    pipe.send((server.url, settings.username, settings.password))
    pipe.recv()
    server.stop()


def partner(reference: str, name: str) -> WriteRequest:
    """An upsert of an organisation by its reference (SearchTerm2)."""
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=reference),
        fields={
            "BusinessPartnerCategory": "2",
            "BusinessPartnerGrouping": "BP02",
            "OrganizationBPName1": name,
        },
        idempotency_key=f"{reference}:{name}",
    )


async def run_mode(
    settings: S4Settings, records: int, chunk: int
) -> dict[str, dict[str, float | int]]:
    """Creates then updates of `records` partners; writes/s and calls per write for each."""
    connector = S4Connector(settings, settle=timedelta(0))
    calls: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:
        calls["all"] += 1

    connector.client._http.event_hooks["request"].append(count)
    refs = [uuid.uuid4().hex[:16].upper() for _ in range(records)]
    figures: dict[str, dict[str, float | int]] = {}
    try:
        for phase, label in (("create", "New"), ("update", "Renamed")):
            writes = [partner(ref, f"{label} {ref}") for ref in refs]
            before = calls["all"]
            started = time.perf_counter()
            failed = 0
            for start in range(0, records, chunk):
                results = await connector.write(writes[start : start + chunk])
                failed += sum(not result.ok for result in results)
            elapsed = time.perf_counter() - started
            figures[phase] = {
                "writes": records,
                "failed": failed,
                "seconds": round(elapsed, 2),
                "writes_per_s": round(records / elapsed, 1),
                "calls_per_write": round((calls["all"] - before) / records, 3),
            }
    finally:
        await connector.aclose()
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both modes against one sandbox and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=100, help="records per write call")
    parser.add_argument("--parts", type=int, default=100, help="change sets per $batch")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added per HTTP call")
    args = parser.parse_args(argv)
    parent, child = multiprocessing.Pipe()
    erp = multiprocessing.get_context("spawn").Process(
        target=serve_erp, args=(args.latency_ms, child), daemon=True
    )
    erp.start()
    try:
        url, username, password = parent.recv()
        base = S4Settings(
            base_url=url,
            username=username,
            password=SecretStr(password),
            concurrency=args.concurrency,
            batch_parts=args.parts,
        )
        one_by_one = asyncio.run(
            run_mode(base.model_copy(update={"batch": False}), args.records, args.chunk)
        )
        batched = asyncio.run(
            run_mode(base.model_copy(update={"batch": True}), args.records, args.chunk)
        )
    finally:
        parent.send("stop")
        erp.join(timeout=10)
    report: dict[str, Any] = {
        "s4_batch": {
            "settings": {
                "records": args.records,
                "chunk": args.chunk,
                "parts": args.parts,
                "concurrency": args.concurrency,
                "latency_ms": args.latency_ms,
                "erp": "ERP sandbox in its own process",
            },
            "one_by_one": one_by_one,
            "batched": batched,
            "ratio": {
                phase: round(
                    float(batched[phase]["writes_per_s"])
                    / float(one_by_one[phase]["writes_per_s"]),
                    1,
                )
                for phase in ("create", "update")
            },
        }
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
