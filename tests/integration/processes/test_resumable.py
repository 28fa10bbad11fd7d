"""Resumable instances: they rest between events as rows, not threads, wake on their events
and timers, never consume an event twice, and finish on the version they started with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from causeway.processes.engine import (
    ProcessEngine,
    ProcessError,
    UnknownInstanceError,
    send_from_outside,
)
from causeway.processes.resumable import Event, InstanceRow, InstanceStore, Rest, Waker
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from tests.integration.processes.definitions import ledger_entries
from tests.support.postgres import throwaway_database

WORKER = Path(__file__).with_name("process_worker.py")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine(f"sqlite:///{tmp_path / 'causeway.sqlite'}", concurrency=4)
    engine.launch()
    yield engine
    engine.shutdown()


def _resting(engine: ProcessEngine, key: str) -> bool:
    store = engine._store()
    row = store.get(f"tally:{key}")
    return row is not None and row.status == "dormant"


def _read_through(engine: ProcessEngine, key: str) -> int:
    row = engine._store().get(f"tally:{key}")
    return 0 if row is None else row.inbox_seen


def _until(condition: object, timeout_s: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_instance_rests_between_events_and_consumes_each_once(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    assert engine.start("tally", "T-1", ledger, 2, None) == "tally:T-1"
    assert engine.start("tally", "T-1", ledger, 2, None) == "tally:T-1"  # redelivered
    _until(lambda: _resting(engine, "T-1"))
    status = engine.status("tally", "T-1")
    assert status is not None
    assert (status.status, status.definition) == ("PENDING", "tally@v2")
    engine.signal("tally", "T-1", "add", 4, idempotency_key="e-1")
    engine.signal("tally", "T-1", "add", 4, idempotency_key="e-1")  # the same event again
    _until(lambda: _resting(engine, "T-1") and _read_through(engine, "T-1") == 1)
    engine.signal("tally", "T-1", "add", 6, idempotency_key="e-2")
    assert engine.result("tally", "T-1") == {"total": 2, "by": "goal", "version": 2}
    assert ledger_entries(ledger) == ["v2 counted 2"]
    done = engine.status("tally", "T-1")
    assert done is not None
    assert done.status == "SUCCESS"


def test_a_timer_wakes_a_resting_instance(engine: ProcessEngine, tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    engine.start("tally", "T-2", ledger, 100, 0.5, version=1)
    engine.signal("tally", "T-2", "add", 7)
    assert engine.result("tally", "T-2") == {"total": 7, "by": "timer", "version": 1}
    assert ledger_entries(ledger) == ["v1 opened T-2", "v1 gave up at 7"]


def test_an_instance_finishes_on_the_version_it_started_with(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    engine.start("tally", "old", ledger, 5, None, version=1)
    engine.start("tally", "new", ledger, 2, None)
    for number in (2, 3):
        engine.signal("tally", "old", "add", number)
        engine.signal("tally", "new", "add", number)
    assert engine.result("tally", "old") == {"total": 5, "by": "goal", "version": 1}
    assert engine.result("tally", "new") == {"total": 2, "by": "goal", "version": 2}


def test_events_for_an_unknown_instance_are_refused(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    with pytest.raises(UnknownInstanceError, match="tally:nobody"):
        engine.signal("tally", "nobody", "add", 1)
    with pytest.raises(UnknownInstanceError, match="tally:nobody"):
        send_from_outside(engine.database_url, "tally", "nobody", "add", 1, "k")


def test_an_instance_that_cannot_be_woken_holds_up_no_other(tmp_path: Path) -> None:
    database = make_engine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    upgrade(database)
    store = InstanceStore(database)
    for key in ("A-orphan", "B-fine"):  # both due at once
        store.settle(f"tally:{key}", "tally", 1, 0, [], 0, Rest({}, wake_at=0.0))
    started: list[str] = []

    def start(row: InstanceRow, events: list[Event], now: float, due: bool) -> None:
        if row.instance_id == "tally:A-orphan":
            raise ProcessError("version 9 is no longer registered")
        started.append(row.instance_id)

    assert Waker(store, start).wake_due() == 1
    assert started == ["tally:B-fine"]
    orphan = store.get("tally:A-orphan")
    assert orphan is not None
    assert orphan.status == "dormant"
    database.dispose()


def test_an_event_sent_from_another_process_wakes_its_instance(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    engine.start("tally", "T-3", ledger, 3, None, version=1)
    _until(lambda: _resting(engine, "T-3"))
    send_from_outside(engine.database_url, "tally", "T-3", "add", 3, "operator-1")
    assert engine.result("tally", "T-3") == {"total": 3, "by": "goal", "version": 1}


def test_hundreds_of_resting_instances_hold_no_threads(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    before = threading.active_count()
    keys = [f"R-{number}" for number in range(400)]
    for key in keys:
        engine.start("tally", key, ledger, 1, None, version=1)
    _until(lambda: all(_resting(engine, key) for key in keys[-20:]), timeout_s=300)
    _until(lambda: all(_resting(engine, key) for key in keys), timeout_s=300)
    # The segments ran on a bounded pool; resting, the instances are rows.
    assert threading.active_count() <= before + 4 + 2
    for key in keys:
        engine.signal("tally", key, "add", 1, idempotency_key=f"{key}-1")
    for key in keys:
        assert engine.result("tally", key, poll_s=0.05)["total"] == 1
    opened = [entry for entry in ledger_entries(ledger) if entry.startswith("v1 opened")]
    assert len(opened) == len(keys)


def _host(url: str, ledger: str, mode: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, ledger, mode, str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _killed_while_waking(url: str, ledger: str, count: int = 40) -> list[dict[str, object]]:
    doomed = _host(url, ledger, "tally-start", count)
    assert doomed.stdout is not None
    assert doomed.stdout.readline().strip() == "started", doomed.stdout.read()
    # Killed while its instances run, rest and wake on their first events.
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    survivor = _host(url, ledger, "tally-finish", count)
    output, _ = survivor.communicate(timeout=240)
    import json

    results: list[dict[str, object]] = json.loads(output.strip().splitlines()[-1])
    return results


def _assert_each_once(results: list[dict[str, object]], ledger: str, count: int = 40) -> None:
    assert results == [{"total": 3, "by": "goal", "version": 1}] * count
    entries = ledger_entries(ledger)
    assert sorted(e for e in entries if e.startswith("v1 opened")) == sorted(
        f"v1 opened K-{index}" for index in range(count)
    )
    assert len([e for e in entries if e.startswith("v1 reached")]) == count


def test_a_host_killed_while_instances_wake_loses_and_repeats_nothing(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    results = _killed_while_waking(f"sqlite:///{tmp_path / 'causeway.sqlite'}", ledger)
    _assert_each_once(results, ledger)


@pytest.mark.services
def test_the_same_on_postgresql(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    with throwaway_database("causeway_resumable") as url:
        results = _killed_while_waking(url, ledger)
    _assert_each_once(results, ledger)
