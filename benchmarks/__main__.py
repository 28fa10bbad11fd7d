"""`make bench`: every benchmark in one run, figures printed as JSON."""

from __future__ import annotations

import asyncio
import json
import platform
import sys
import tempfile
from pathlib import Path

import psutil

from benchmarks import concurrent_edits, initial_sync, matching, pipeline, price_api, processes
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
    """Run the mapping, backbone, matching, initial-sync, concurrent-edit, pipeline,
    durable-process and price-API benchmarks."""
    configure_logging("WARNING")
    print(json.dumps({"machine": machine()}, indent=2))
    for result in run_mapping_benchmark(records=20_000):
        print(result.describe())
    backbone_bench.main([])
    print(json.dumps({"matching": matching.measure(10_000, 8_000, 0.75)}, indent=2))
    figures = asyncio.run(initial_sync.measure(800, 640, 0.75, 40))
    print(json.dumps({"initial_sync": figures}, indent=2))
    folder = Path(tempfile.mkdtemp(prefix="causeway-edits-"))
    edits = asyncio.run(concurrent_edits.measure(60, 50, 40, folder))
    print(json.dumps({"concurrent_edits": edits}, indent=2))
    flow = asyncio.run(pipeline.measure(500, 10.0, 30.0))
    print(json.dumps({"pipeline": flow}, indent=2))
    print(json.dumps({"processes": processes.measure(200)}, indent=2))
    # 100 quoting reps pausing about a second between quotes (prints its own JSON).
    price_api.main(["--seconds", "20", "--baseline-seconds", "8", "--think", "1.0"])


if __name__ == "__main__":
    main()
