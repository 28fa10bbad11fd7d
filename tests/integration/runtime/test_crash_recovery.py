"""A worker process killed with SIGKILL mid-batch loses nothing and writes nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope

from .crash_worker import GROUP, sink, sink_metadata, writes

SCRIPT = Path(__file__).with_name("crash_worker.py")
TOPIC = "erp.commands"


def start(url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), url, TOPIC, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str) -> list[str]:
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() == wanted:
            return seen
    raise AssertionError(f"worker ended without printing {wanted}: {''.join(seen)}")


def test_sigkill_mid_batch_then_restart_handles_every_envelope_exactly_once(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    sink_metadata.create_all(engine)
    try:
        backbone = SqlBackbone(engine)
        backbone.subscribe(TOPIC, GROUP)
        published = [
            Envelope(
                kind="command",
                source="sync",
                entity="order",
                key=f"SO-{n % 8}",
                payload={"n": n},
                idempotency_key=f"order-write-{n}",
            )
            for n in range(40)
        ]
        backbone.publish(TOPIC, published)

        doomed = start(url, "--hang-after", "5")
        try:
            wait_for_line(doomed, "HANGING")
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        [stranded] = backbone.stats(TOPIC)

        survivor = start(url)
        try:
            wait_for_line(survivor, "DRAINED")
        finally:
            survivor.kill()
            survivor.wait(timeout=10)

        with engine.connect() as connection:
            stored = connection.execute(select(sink.c.idempotency_key)).scalars().all()
            attempts = connection.execute(select(func.count()).select_from(writes)).scalar()
        [final] = backbone.stats(TOPIC)

        assert doomed.returncode == -signal.SIGKILL
        assert stranded.in_flight == 8  # one batch: the head of each of the 8 orders
        assert sorted(stored) == sorted(item.idempotency_key for item in published)
        assert attempts == 45  # the 5 written before the kill were delivered again
        assert (final.done, final.ready, final.in_flight, final.parked) == (40, 0, 0, 0)
    finally:
        sink_metadata.drop_all(engine)
