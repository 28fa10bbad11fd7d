"""Throughput of three-step durable workflows on DBOS Transact, for decision record 0002.

Workflows called directly, without Causeway's engine (`benchmarks.processes` measures that):
    .venv/bin/python benchmarks/dbos_probe.py sqlite:////tmp/dbos-probe.sqlite 500
    .venv/bin/python benchmarks/dbos_probe.py postgresql://postgres@127.0.0.1/dbosprobe 500
The baseline (four SQLite commits per workflow, the minimum a durable three-step workflow
needs) is measured in the same run.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dbos import DBOS, DBOSConfig


def baseline(count: int) -> float:
    """Workflows per second for four WAL commits each, on a fresh SQLite file."""
    path = Path(tempfile.mkdtemp()) / "baseline.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE step (workflow TEXT, number INTEGER, output INTEGER)")
    started = time.perf_counter()
    for workflow in range(count):
        for number in range(4):
            connection.execute("INSERT INTO step VALUES (?, ?, ?)", (str(workflow), number, 1))
            connection.commit()
    return count / (time.perf_counter() - started)


def main() -> None:
    """Measure sequential and 8-thread throughput, then the baseline."""
    url, count = sys.argv[1], int(sys.argv[2])
    config: DBOSConfig = {"name": "causeway-probe", "system_database_url": url}
    DBOS(config=config)

    @DBOS.step()
    def step(value: int, add: int) -> int:
        return value + add

    @DBOS.workflow()
    def flow(value: int) -> int:
        return step(step(step(value, 1), 2), 3)

    DBOS.launch()
    for value in range(20):
        flow(value)
    started = time.perf_counter()
    for value in range(count):
        flow(value)
    sequential = count / (time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(flow, range(count)))
    concurrent = count / (time.perf_counter() - started)
    DBOS.destroy()
    print(
        f"backend={url.split(':')[0]} workflows={count} sequential={sequential:.1f}/s "
        f"threads8={concurrent:.1f}/s baseline_sqlite_4_commits={baseline(count):.1f}/s"
    )


if __name__ == "__main__":
    main()
