"""A process-engine host that the crash test starts and kills.

python process_worker.py <database url> <ledger> start <number>
    launches the engine, starts order <number>, prints "started", and idles
python process_worker.py <database url> <ledger> resume <number>
    launches the engine (interrupted instances resume), sends "go", prints the result
python process_worker.py <database url> <ledger> tally-start <count>
    starts <count> tally instances, sends each its first number, prints "started", idles
python process_worker.py <database url> <ledger> tally-finish <count>
    sends each tally its second number, prints every result (as one JSON list)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from causeway.processes.engine import ProcessEngine
from tests.integration.processes import definitions  # noqa: F401 - registers them


def main() -> None:
    url, ledger, mode, number = sys.argv[1:5]
    engine = ProcessEngine(url)
    engine.launch()
    try:
        if mode == "tally-start":
            for index in range(int(number)):
                engine.start("tally", f"K-{index}", ledger, 3, None, version=1)
                engine.signal("tally", f"K-{index}", "add", 1, idempotency_key=f"K-{index}-1")
            print("started", flush=True)
            time.sleep(600)
        elif mode == "tally-finish":
            for index in range(int(number)):
                engine.signal("tally", f"K-{index}", "add", 2, idempotency_key=f"K-{index}-2")
                # The first number again, as a redelivery would send it: consumed once only.
                engine.signal("tally", f"K-{index}", "add", 1, idempotency_key=f"K-{index}-1")
            results = [engine.result("tally", f"K-{index}") for index in range(int(number))]
            print(json.dumps(results), flush=True)
        elif mode == "start":
            engine.start("order", number, ledger, number, False, 2.0)
            print("started", flush=True)
            time.sleep(600)
        else:
            engine.signal("order", number, "go", "now", idempotency_key=f"go-{number}")
            print(json.dumps(engine.result("order", number)), flush=True)
    finally:
        engine.shutdown()


if __name__ == "__main__":
    main()
