"""Process definitions for the engine tests, importable by a worker process as well.

Every effect on the "outside world" goes to a ledger (a SQLite file standing in for the
ERP), so a test can count how often each step really ran across crashes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from causeway.processes.compensation import Compensated, Compensations
from causeway.processes.engine import definition, resumable, sleep, step, wait_for
from causeway.processes.resumable import Finish, Rest, Resume


def ledger_entries(ledger: str) -> list[str]:
    """What happened outside, in order."""
    with sqlite3.connect(ledger) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS entry (what TEXT NOT NULL)")
        return [row[0] for row in connection.execute("SELECT what FROM entry ORDER BY rowid")]


@step(attempts=3, interval_s=0.05)
def record(ledger: str, what: str) -> None:
    """An effect in another system (one row per call)."""
    with sqlite3.connect(ledger) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS entry (what TEXT NOT NULL)")
        connection.execute("INSERT INTO entry (what) VALUES (?)", (what,))


@step(attempts=1)
def reject(reason: str) -> None:
    """A step the other system refuses for good (invalid input: no retry)."""
    raise ValueError(reason)


@definition("approval", version=1)
def approval_v1(ledger: str, timeout_s: float) -> str:
    record(ledger, "v1 requested")
    decision = wait_for("decision", timeout_s)
    if decision is None:
        record(ledger, "v1 expired")
        return "expired"
    record(ledger, f"v1 {decision}")
    return f"v1:{decision}"


@definition("approval", version=2)
def approval_v2(ledger: str, timeout_s: float) -> str:
    record(ledger, "v2 requested")
    decision = wait_for("decision", timeout_s)
    record(ledger, f"v2 {decision}")
    return f"v2:{decision}"


@definition("order", version=1)
def order_v1(ledger: str, number: str, fail: bool, pause_s: float) -> dict[str, Any]:
    """Create, wait a while (durable timer), wait for the go, then confirm; undo the create
    if a later step fails for good."""
    try:
        with Compensations() as undo:
            record(ledger, f"create {number}")
            undo.add(record, ledger, f"cancel {number}")
            sleep(pause_s)
            go = wait_for("go", 120)
            if fail:
                reject(f"order {number}: price mismatch")
            record(ledger, f"confirm {number} {go}")
    except Compensated as compensated:
        return {"outcome": "compensated", "reason": str(compensated.cause)}
    return {"outcome": "completed", "go": go}


@resumable("tally", version=1)
def tally_v1(resume: Resume) -> Rest | Finish:
    """Add up the numbers sent to it, resting between them, until `goal` is reached, or
    until nothing came for `patience_s` (None: wait for ever)."""
    ledger, goal, patience_s = resume.arguments
    state = resume.state or {"total": 0, "woken": 0}
    if resume.state is None:
        record(ledger, f"v1 opened {resume.key}")
    state["woken"] += 1
    for event in resume.events:
        state["total"] += int(event.payload)
    if state["total"] >= goal:
        record(ledger, f"v1 reached {state['total']}")
        return Finish({"total": state["total"], "by": "goal", "version": 1})
    if resume.timer_due:
        record(ledger, f"v1 gave up at {state['total']}")
        return Finish({"total": state["total"], "by": "timer", "version": 1})
    return Rest(state, None if patience_s is None else resume.now + patience_s)


@resumable("tally", version=2)
def tally_v2(resume: Resume) -> Rest | Finish:
    """Version 2 counts the events rather than adding them up."""
    ledger, goal, _ = resume.arguments
    state = resume.state or {"count": 0}
    state["count"] += len(resume.events)
    if state["count"] >= goal:
        record(ledger, f"v2 counted {state['count']}")
        return Finish({"total": state["count"], "by": "goal", "version": 2})
    return Rest(state)
