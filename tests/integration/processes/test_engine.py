"""Durable processes on DBOS: waits by business key, timeouts, compensation, versions, and
instances that survive SIGKILL without repeating a step (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from causeway.processes.engine import ProcessEngine, ProcessError, versions
from tests.integration.processes.definitions import ledger_entries
from tests.support.postgres import throwaway_database

WORKER = Path(__file__).with_name("process_worker.py")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[ProcessEngine]:
    engine = ProcessEngine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    engine.launch()
    yield engine
    engine.shutdown()


def test_an_instance_waits_for_its_event_by_business_key_and_starts_once(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    first = engine.start("approval", "Q-1001", ledger, 60.0)
    again = engine.start("approval", "Q-1001", ledger, 60.0)  # a redelivered trigger
    engine.signal("approval", "Q-1001", "decision", "approved", idempotency_key="d-1")
    engine.signal("approval", "Q-1001", "decision", "approved", idempotency_key="d-1")
    assert first == again == "approval:Q-1001"
    assert engine.result("approval", "Q-1001") == "v2:approved"
    assert ledger_entries(ledger) == ["v2 requested", "v2 approved"]
    status = engine.status("approval", "Q-1001")
    assert status is not None
    assert (status.status, status.definition) == ("SUCCESS", "approval@v2")
    assert engine.status("approval", "Q-404") is None


def test_a_wait_that_times_out_takes_the_timeout_path(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    engine.start("approval", "Q-1002", ledger, 0.5, version=1)
    assert engine.result("approval", "Q-1002") == "expired"
    assert ledger_entries(ledger) == ["v1 requested", "v1 expired"]


def test_a_running_instance_finishes_on_the_version_it_started_with(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    assert versions("approval") == [1, 2]
    engine.start("approval", "old", ledger, 60.0, version=1)  # started before v2 shipped
    engine.start("approval", "new", ledger, 60.0)
    engine.signal("approval", "old", "decision", "ok")
    engine.signal("approval", "new", "decision", "ok")
    assert engine.result("approval", "old") == "v1:ok"
    assert engine.result("approval", "new") == "v2:ok"
    with pytest.raises(ProcessError, match="no version 7"):
        engine.start("approval", "x", ledger, 1.0, version=7)


def test_a_step_refused_for_good_undoes_what_was_done(
    engine: ProcessEngine, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    engine.start("order", "SO-1", ledger, "SO-1", True, 0.1)
    engine.signal("order", "SO-1", "go", "now")
    outcome = engine.result("order", "SO-1")
    assert outcome == {"outcome": "compensated", "reason": "order SO-1: price mismatch"}
    assert ledger_entries(ledger) == ["create SO-1", "cancel SO-1"]


def test_an_engine_not_launched_says_so(tmp_path: Path) -> None:
    with pytest.raises(ProcessError, match="not been launched"):
        ProcessEngine(f"sqlite:///{tmp_path / 'c.sqlite'}").start("order", "1")
    with pytest.raises(ProcessError, match="database file"):
        ProcessEngine("sqlite://")


def _host(url: str, ledger: str, mode: str, number: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, ledger, mode, number],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _killed_and_resumed(url: str, ledger: str) -> tuple[str, list[str]]:
    host = _host(url, ledger, "start", "SO-9")
    assert host.stdout is not None
    assert host.stdout.readline().strip() == "started", host.stdout.read()
    # Killed while the instance sleeps on its durable timer, after its first step.
    host.send_signal(signal.SIGKILL)
    host.wait(10)
    resumed = _host(url, ledger, "resume", "SO-9")
    output, _ = resumed.communicate(timeout=120)
    return output.strip().splitlines()[-1], ledger_entries(ledger)


def test_an_instance_killed_mid_process_resumes_without_repeating_a_step(
    tmp_path: Path,
) -> None:
    result, entries = _killed_and_resumed(
        f"sqlite:///{tmp_path / 'causeway.sqlite'}", str(tmp_path / "ledger.sqlite")
    )
    assert result == '{"outcome": "completed", "go": "now"}'
    assert entries == ["create SO-9", "confirm SO-9 now"]


@pytest.mark.services
def test_the_same_on_postgresql(tmp_path: Path) -> None:
    with throwaway_database("causeway_processes") as url:
        result, entries = _killed_and_resumed(url, str(tmp_path / "ledger.sqlite"))
    assert result == '{"outcome": "completed", "go": "now"}'
    assert entries == ["create SO-9", "confirm SO-9 now"]
