"""`make bench`: every benchmark in one run, figures printed as JSON."""

from __future__ import annotations

import asyncio
import json
import platform
import sys

import psutil

from benchmarks import initial_sync
from causeway.mapping.bench import run_mapping_benchmark
from causeway.observe.logging import configure_logging
from causeway.runtime import bench as backbone_bench


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }


def main() -> None:
    """Run the mapping, backbone and initial-sync benchmarks."""
    configure_logging("WARNING")
    print(json.dumps({"machine": machine()}, indent=2))
    for result in run_mapping_benchmark(records=20_000):
        print(result.describe())
    backbone_bench.main([])
    figures = asyncio.run(initial_sync.measure(10_000, 8_000, 0.75, 2_000))
    print(json.dumps({"initial_sync": figures}, indent=2))


if __name__ == "__main__":
    main()
