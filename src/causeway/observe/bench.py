"""Overhead of tracing on the worker loop: the same work with tracing off and on.

    python -m causeway.observe.bench [--count 2000] [--batch 100] [--rounds 3]

Each round runs two fresh processes, one with tracing off (no provider: the API's no-op) and
one with an SDK provider recording every span in memory, alternating so that a busy machine
slows both alike. The work: `count` changes published in pages of `batch`, each page inside a
poll span; a worker turns every change into a command through the outbox; a second worker
settles the commands. Two hops, so trace context is injected, extracted and carried twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from causeway.observe.tracing import TRACER
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES

CHANGES, COMMANDS = "bench.changes", "bench.commands"


class Forward:
    """Each change becomes one command, published through the outbox in one transaction."""

    def __init__(self, backbone: SqlBackbone) -> None:
        self.backbone = backbone

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        commands = [
            Envelope(
                kind="command",
                source="causeway",
                entity=item.entity,
                key=item.key,
                payload=item.payload,
                headers=item.headers.model_copy(update={"causation_id": item.id}),
            )
            for item in batch
        ]

        def publish() -> None:
            with write_transaction(self.backbone.engine) as connection:
                self.backbone.publish(COMMANDS, commands, connection=connection)

        await asyncio.to_thread(publish)
        return [Done()] * len(batch)


async def _settle_all(batch: Sequence[Envelope]) -> Sequence[Outcome]:
    return [Done()] * len(batch)


async def _drain(worker: Worker) -> int:
    handled = 0
    while found := await worker.run_once():
        handled += found
    return handled


def measure(folder: Path, count: int, batch: int) -> float:
    """Seconds to publish `count` changes and take them through both hops."""
    engine = make_engine(f"sqlite:///{folder / 'bench.sqlite'}")
    metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    backbone = SqlBackbone(engine)
    for topic, group in ((CHANGES, "sync"), (COMMANDS, "writer")):
        backbone.subscribe(topic, group)
    changes = [
        Envelope(
            kind="change",
            source="salesforce",
            entity="customer",
            key=f"001{n:012d}",
            payload={"Name": f"Customer {n}", "BillingCity": "Lyon"},
        )
        for n in range(count)
    ]
    sync = Worker(backbone, Forward(backbone), WorkerSettings(CHANGES, "sync", "causeway", batch))
    write = Worker(backbone, _settle_all, WorkerSettings(COMMANDS, "writer", "erp", batch))
    started = time.perf_counter()
    for start in range(0, count, batch):
        with TRACER.start_as_current_span("sync.poll"):
            backbone.publish(CHANGES, changes[start : start + batch])
    handled = asyncio.run(_drain(sync)) + asyncio.run(_drain(write))
    seconds = time.perf_counter() - started
    engine.dispose()
    if handled != 2 * count:
        raise RuntimeError(f"handled {handled} of {2 * count} envelopes")
    return seconds


def one_round(mode: str, count: int, batch: int) -> dict[str, float | int]:
    """Measure in this process with tracing `off` or `on`; returns seconds and span count."""
    memory = InMemorySpanExporter()
    if mode == "on":
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(provider)
    with tempfile.TemporaryDirectory() as folder:
        seconds = measure(Path(folder), count, batch)
    return {"seconds": seconds, "spans": len(memory.get_finished_spans())}


def main(argv: list[str] | None = None) -> None:
    """Alternate off and on in fresh processes, then print medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=["off", "on"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Per-batch log lines would be part of what is measured.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.mode:
        print(json.dumps(one_round(args.mode, args.count, args.batch)))
        return
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    spans = 0
    for _ in range(args.rounds):
        for mode in ("off", "on"):
            command = [sys.executable, "-m", "causeway.observe.bench", "--mode", mode]
            command += ["--count", str(args.count), "--batch", str(args.batch)]
            # Our own interpreter and module, with integer arguments: nothing untrusted.
            finished = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
            result = json.loads(finished.stdout)
            seconds[mode].append(result["seconds"])
            spans = max(spans, int(result["spans"]))
    off, on = statistics.median(seconds["off"]), statistics.median(seconds["on"])
    envelopes = 2 * args.count
    print(f"{args.count} changes + {args.count} commands, batch {args.batch}, SQLite")
    print(f"  rounds (s)  off {seconds['off']}  on {seconds['on']}")
    print(f"  tracing off {off:8.2f} s {envelopes / off:8.0f} envelopes/s")
    print(f"  tracing on  {on:8.2f} s {envelopes / on:8.0f} envelopes/s  ({spans} spans)")
    print(f"  ratio on/off {on / off:6.2f} x")


if __name__ == "__main__":
    main()
