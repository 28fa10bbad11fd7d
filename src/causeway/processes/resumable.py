"""Instances that rest between events without holding a thread.

An order waits days for its delivery, its invoice and its payment. A workflow waiting inside
DBOS (`recv`) holds an executor thread all that time and, on SQLite, costs one query per
waiting instance per polling interval: five thousand open orders meant five thousand threads
and a database busy answering "anything for me?".

A resumable definition runs in segments instead. Each segment is a short DBOS workflow (the
first one is `<instance>`, later ones `<instance>#<n>`): it receives what the instance kept
(`Resume.state`), the events that arrived since it last ran and whether its timer ran out;
it runs its steps and answers `Rest(state, wake_at)` or `Finish(result)`. Resting writes the
state to `process_instance` and ends the workflow, freeing its thread. Events are written to
`process_inbox`; one `Waker` per host finds the instances that are due (an unread event, or a
timer that ran out) with two indexed queries, however many rest, and starts their next
segment on a queue whose concurrency bounds the threads in use.

Once only: segment n always runs under the workflow id `<instance>#<n>`, so two wakers (two
hosts, or one host again after a crash) start it once. A segment records the last inbox event
it was given, so none is consumed twice; read events stay in the inbox while the instance
lives, so their idempotency keys refuse a redelivery. An event that came while a segment ran
wakes the instance again as soon as it rests; an event for an ended instance is dropped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Engine, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from causeway.store.tables.processes import process_inbox, process_instance

log = structlog.get_logger("causeway.processes")

RUNNING = "running"
DORMANT = "dormant"
ENDED = "ended"


@dataclass(frozen=True)
class Event:
    """One event delivered to an instance: its inbox id, topic and payload."""

    id: int
    topic: str
    payload: Any


@dataclass(frozen=True)
class Resume:
    """What a segment is given: the instance's business key and start arguments, what it kept
    when it last rested (None in the first segment), the events since, oldest first, the time
    it was woken (use it for timers: a segment replayed after a crash sees the same), and
    whether its timer ran out."""

    key: str
    arguments: tuple[Any, ...]
    state: dict[str, Any] | None
    events: tuple[Event, ...]
    now: float
    timer_due: bool


@dataclass(frozen=True)
class Rest:
    """Rest until an event arrives or, with `wake_at` (epoch seconds), until then."""

    state: dict[str, Any]
    wake_at: float | None = None


@dataclass(frozen=True)
class Finish:
    """The instance ended with `result` (JSON-serialisable)."""

    result: Any


Segment = Callable[[Resume], Rest | Finish]


@dataclass(frozen=True)
class InstanceRow:
    """One resumable instance as `process_instance` holds it."""

    instance_id: str
    process: str
    version: int
    segment: int
    status: str
    arguments: list[Any]
    state: dict[str, Any] | None
    inbox_seen: int
    wake_at: float | None
    result: Any

    def segment_id(self, segment: int | None = None) -> str:
        """The workflow id of one of its segments (the current one by default)."""
        return segment_workflow_id(self.instance_id, self.segment if segment is None else segment)


def segment_workflow_id(instance: str, segment: int) -> str:
    """Segment 0 runs under the instance id itself, so an instance is found by its key."""
    return instance if segment == 0 else f"{instance}#{segment}"


def instance_of(workflow_id: str) -> str:
    """The instance a segment's workflow belongs to."""
    return workflow_id.split("#", 1)[0]


def _now() -> datetime:
    return datetime.now(UTC)


def _json(value: Any) -> str:
    """State and results as JSON; decimals and dates the systems answered become strings."""
    return json.dumps(value, default=str)


def _row(found: Any) -> InstanceRow:
    return InstanceRow(
        instance_id=found.instance_id,
        process=found.process,
        version=found.version,
        segment=found.segment,
        status=found.status,
        arguments=json.loads(found.arguments),
        state=None if found.state is None else json.loads(found.state),
        inbox_seen=found.inbox_seen,
        wake_at=found.wake_at,
        result=None if found.result is None else json.loads(found.result),
    )


class InstanceStore:
    """`process_instance` and `process_inbox`: where resting instances and their events are."""

    def __init__(self, database: Engine) -> None:
        self.database = database

    def get(self, instance: str) -> InstanceRow | None:
        """The instance, or None if it never rested, ended or registered."""
        with self.database.connect() as connection:
            found = connection.execute(
                select(process_instance).where(process_instance.c.instance_id == instance)
            ).first()
        return None if found is None else _row(found)

    def register(self, instance: str, process: str, version: int, arguments: Sequence[Any]) -> None:
        """Record a started instance (running its first segment); a second start keeps the
        first row."""
        moment = _now()
        try:
            with self.database.begin() as connection:
                connection.execute(insert(process_instance).values(
                    instance_id=instance, process=process, version=version, segment=0,
                    status=RUNNING, arguments=json.dumps(list(arguments)), state=None,
                    inbox_seen=0, wake_at=None, result=None, started_at=moment,
                    updated_at=moment,
                ))
        except IntegrityError:
            pass

    def settle(
        self,
        instance: str,
        process: str,
        version: int,
        segment: int,
        arguments: Sequence[Any],
        seen: int,
        outcome: Rest | Finish,
    ) -> None:
        """A segment ended: the instance rests with its state, or ended with its result (its
        inbox is emptied then). A row overtaken by a later segment is left as it is."""
        resting = isinstance(outcome, Rest)
        values: dict[str, Any] = {
            "process": process, "version": version, "segment": segment,
            "status": DORMANT if resting else ENDED, "inbox_seen": seen,
            "updated_at": _now(),
        }
        if isinstance(outcome, Rest):
            values |= {"state": _json(outcome.state), "wake_at": outcome.wake_at}
        else:
            values |= {"state": None, "wake_at": None, "result": _json(outcome.result)}
        with self.database.begin() as connection:
            changed = connection.execute(
                update(process_instance)
                .where(process_instance.c.instance_id == instance,
                       process_instance.c.segment <= segment)
                .values(**values)
            ).rowcount
            if not changed and not connection.execute(
                select(process_instance.c.segment).where(
                    process_instance.c.instance_id == instance)
            ).first():
                connection.execute(insert(process_instance).values(
                    instance_id=instance, arguments=json.dumps(list(arguments)),
                    started_at=values["updated_at"], **values,
                ))
            if not resting:
                # Read events stay while it lives: their idempotency keys refuse a redelivery.
                connection.execute(
                    delete(process_inbox).where(process_inbox.c.instance_id == instance)
                )

    def post(self, instance: str, topic: str, payload: Any, idempotency_key: str | None) -> bool:
        """Put an event in the instance's inbox; False if the same key was posted before."""
        try:
            with self.database.begin() as connection:
                connection.execute(insert(process_inbox).values(
                    instance_id=instance, topic=topic, payload=_json(payload),
                    idempotency_key=idempotency_key, received_at=_now(),
                ))
        except IntegrityError:
            return False
        return True

    def status_of(self, instance: str) -> str | None:
        """running, dormant or ended; None if the instance was never registered."""
        with self.database.connect() as connection:
            found = connection.execute(
                select(process_instance.c.status).where(
                    process_instance.c.instance_id == instance)
            ).first()
        return None if found is None else str(found.status)

    def exists(self, instance: str) -> bool:
        """True if the instance was registered."""
        return self.status_of(instance) is not None

    def deliver(
        self, instance: str, topic: str, payload: Any, idempotency_key: str | None
    ) -> bool | None:
        """Post an event to a registered instance: True if posted, False if a duplicate or
        the instance ended (the event is dropped), None if no such instance is registered."""
        status = self.status_of(instance)
        if status is None:
            return None
        return status != ENDED and self.post(instance, topic, payload, idempotency_key)

    def events(self, instance: str, after: int) -> list[Event]:
        """Its unread events, oldest first."""
        with self.database.connect() as connection:
            rows = connection.execute(
                select(process_inbox.c.id, process_inbox.c.topic, process_inbox.c.payload)
                .where(process_inbox.c.instance_id == instance, process_inbox.c.id > after)
                .order_by(process_inbox.c.id)
            ).all()
        return [Event(row.id, row.topic, json.loads(row.payload)) for row in rows]

    def due(self, now: float, limit: int) -> list[InstanceRow]:
        """Resting instances with an unread event or a timer run out."""
        dormant = process_instance.c.status == DORMANT
        unread = exists().where(
            process_inbox.c.instance_id == process_instance.c.instance_id,
            process_inbox.c.id > process_instance.c.inbox_seen,
        )
        with self.database.connect() as connection:
            rows = connection.execute(
                select(process_instance).where(dormant, unread).limit(limit)
            ).all()
            timed = connection.execute(select(process_instance).where(
                dormant, process_instance.c.wake_at <= now,
            ).order_by(process_instance.c.wake_at).limit(limit)).all()
        found = {row.instance_id: _row(row) for row in [*rows, *timed]}
        return list(found.values())

    def unended(self) -> list[InstanceRow]:
        """Instances running or resting."""
        with self.database.connect() as connection:
            rows = connection.execute(
                select(process_instance).where(process_instance.c.status != ENDED)
            ).all()
        return [_row(row) for row in rows]

    def first_segments(self) -> list[InstanceRow]:
        """Instances still on their first segment (registered, maybe never enqueued)."""
        with self.database.connect() as connection:
            rows = connection.execute(select(process_instance).where(
                process_instance.c.segment == 0, process_instance.c.status == RUNNING,
            )).all()
        return [_row(row) for row in rows]

    def mark_running(self, row: InstanceRow) -> None:
        """Its next segment was started: not due again until it rests."""
        with self.database.begin() as connection:
            connection.execute(
                update(process_instance)
                .where(process_instance.c.instance_id == row.instance_id,
                       process_instance.c.segment == row.segment,
                       process_instance.c.status == DORMANT)
                .values(status=RUNNING, segment=row.segment + 1, updated_at=_now())
            )


StartSegment = Callable[[InstanceRow, list[Event], float, bool], None]
"""(instance, its unread events, now, timer due) -> start its next segment."""


class Waker:
    """Starts the next segment of every resting instance that is due: at once for events
    posted in this OS process (`nudge`), within `poll_s` for those posted by others."""

    def __init__(
        self, store: InstanceStore, start: StartSegment, poll_s: float = 0.2, batch: int = 200
    ) -> None:
        self.store = store
        self.start_segment = start
        self.poll_s = poll_s
        self.batch = batch
        self._nudged = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in the background until `stop`."""
        self._thread = threading.Thread(target=self._run, name="causeway-waker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the current pass and stop."""
        self._stopping.set()
        self._nudged.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def nudge(self) -> None:
        """An event was posted here: look now rather than at the next poll."""
        self._nudged.set()

    def wake_due(self) -> int:
        """One pass: start the next segment of each due instance; answers how many."""
        woken = 0
        while not self._stopping.is_set():
            now = time.time()
            due = self.store.due(now, self.batch)
            for row in due:
                events = self.store.events(row.instance_id, row.inbox_seen)
                timer_due = row.wake_at is not None and row.wake_at <= now
                if not events and not timer_due:
                    continue
                try:
                    self.start_segment(row, events, now, timer_due)
                except Exception:  # one instance that cannot start must not hold up others
                    log.exception("could not wake a resting instance", instance=row.instance_id)
                    continue
                self.store.mark_running(row)
                woken += 1
            if len(due) < self.batch:
                return woken
        return woken

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._nudged.wait(self.poll_s)
            self._nudged.clear()
            if self._stopping.is_set():
                return
            try:
                self.wake_due()
            except Exception:  # the next pass tries again; nothing is lost by waiting
                log.exception("waking resting process instances failed")
