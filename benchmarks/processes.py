"""Durable processes through Causeway's engine (DBOS underneath): three-step instances per
second, with the least a durable three-step process can cost (four SQLite WAL commits per
instance) measured in the same run as the baseline.

    PYTHONPATH=. .venv/bin/python -m benchmarks.processes [--count N] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.dbos_probe import baseline
from causeway.processes.engine import ProcessEngine, definition, step


@step(attempts=1)
def add(value: int, amount: int) -> int:
    """A step: checkpointed once per instance."""
    return value + amount


@definition("bench_three_steps", version=1)
def three_steps(value: int) -> int:
    """Three checkpointed steps, as a short order process has."""
    return add(add(add(value, 1), 2), 3)


def measure(count: int, url: str | None = None) -> dict[str, Any]:
    """Start `count` instances one after another, each awaited, after a warm-up; then
    `count` more all at once, awaited together."""
    folder = Path(tempfile.mkdtemp(prefix="causeway-processes-"))
    engine = ProcessEngine(url or f"sqlite:///{folder / 'causeway.sqlite'}")
    engine.launch()
    try:
        for warm in range(20):
            engine.start("bench_three_steps", f"warm-{warm}", warm)
            engine.result("bench_three_steps", f"warm-{warm}")
        started = time.perf_counter()
        for number in range(count):
            engine.start("bench_three_steps", str(number), number)
            engine.result("bench_three_steps", str(number))
        rate = count / (time.perf_counter() - started)
        # A burst: instances started by a stream of events, none awaited by its starter.
        started = time.perf_counter()
        for number in range(count):
            engine.start("bench_three_steps", f"burst-{number}", number)
        for number in range(count):
            engine.result("bench_three_steps", f"burst-{number}")
        burst = count / (time.perf_counter() - started)
    finally:
        engine.shutdown()
    floor = baseline(count)
    return {
        "backend": (url or "sqlite").split(":")[0],
        "instances": count,
        "instances_per_second_one_at_a_time": round(rate, 1),
        "instances_per_second_burst": round(burst, 1),
        "baseline_four_commits_per_second": round(floor, 1),
        "ratio_to_baseline": round(burst / floor, 3),
    }


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL; SQLite by default")
    arguments = parser.parse_args(argv)
    print(json.dumps({"processes": measure(arguments.count, arguments.url)}, indent=2))


if __name__ == "__main__":
    main()
