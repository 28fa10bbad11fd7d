"""Business activity: each process instance's timeline, found by any of its business numbers.

An order is asked about by whoever holds a number: sales has the CRM order number, finance
the ERP sales order or invoice. A process names its instance's numbers as it learns them
(`remember`) and wraps each step in `step(...)` and each system call in `call(...)`; the
timeline then lists them in order with status, duration and the trace id that joins them to
the traces (None while tracing is off). A step is written when it ends, with its calls, in
one transaction; a failed attempt is kept, so retries show.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from opentelemetry import trace
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from causeway.observe.tracing import TRACER
from causeway.store.tables.activity import activity_event, activity_key

log = structlog.get_logger("causeway.activity")

DETAIL_LIMIT = 1000
"""Characters of an error kept with a failed step: enough to act on, never a whole payload."""


@dataclass(frozen=True)
class ActivityEvent:
    """One step, system call or milestone of an instance."""

    kind: str
    """step, call or milestone."""
    name: str
    status: str
    started_at: datetime
    duration_ms: float
    system: str | None = None
    trace_id: str | None = None
    detail: str | None = None
    id: int | None = None
    parent_id: int | None = None
    """For a call: the step it was made in."""


@dataclass(frozen=True)
class Timeline:
    """Everything one instance did, with the numbers it is known by."""

    instance_id: str
    process: str
    keys: dict[str, list[str]]
    events: list[ActivityEvent]

    @property
    def status(self) -> str:
        """The status of the latest step or milestone."""
        for event in reversed(self.events):
            if event.kind != "call":
                return event.status
        return "started"


@dataclass
class _OpenStep:
    process: str
    instance_id: str
    name: str
    system: str | None
    started_at: datetime
    trace_id: str | None
    calls: list[ActivityEvent] = field(default_factory=list)


_open_step: ContextVar[_OpenStep | None] = ContextVar("causeway_activity_step", default=None)


def _trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return f"{span_context.trace_id:032x}" if span_context.is_valid else None


def _failure(error: BaseException) -> tuple[str, str]:
    return f"failed: {type(error).__name__}", str(error)[:DETAIL_LIMIT]


class ActivityLog:
    """Writes and reads timelines in the store."""

    def __init__(self, database: Engine) -> None:
        self.database = database

    def remember(self, process: str, instance_id: str, keys: Mapping[str, str | None]) -> None:
        """Make the instance findable by these numbers (kind -> value); repeats are no-ops."""
        rows = [
            {"instance_id": instance_id, "kind": kind, "value": str(value), "process": process}
            for kind, value in keys.items()
            if value
        ]
        if not rows:
            return
        try:
            self._remember(instance_id, rows)
        except SQLAlchemyError as error:
            log.warning("timeline keys not written", instance=instance_id, error=str(error))

    def _remember(self, instance_id: str, rows: list[dict[str, str]]) -> None:
        with self.database.begin() as connection:
            known = {
                (kind, value)
                for kind, value in connection.execute(
                    select(activity_key.c.kind, activity_key.c.value).where(
                        activity_key.c.instance_id == instance_id
                    )
                )
            }
            fresh = [row for row in rows if (row["kind"], row["value"]) not in known]
            for row in fresh:
                # Another worker may remember the same number first: nothing is then missing.
                with suppress(IntegrityError), connection.begin_nested():
                    connection.execute(activity_key.insert().values(row))

    def milestone(
        self,
        process: str,
        instance_id: str,
        name: str,
        status: str,
        *,
        system: str | None = None,
        detail: str | None = None,
    ) -> None:
        """A business fact reached (credit block lifted, delivered, paid), with no duration."""
        event = ActivityEvent(
            "milestone", name, status, datetime.now(UTC), 0.0, system, _trace_id(), detail
        )
        self._write(process, instance_id, event, [])

    @contextmanager
    def step(
        self, process: str, instance_id: str, name: str, *, system: str | None = None
    ) -> Iterator[None]:
        """Time the enclosed block as one step of the instance and record it when it ends."""
        with TRACER.start_as_current_span(
            f"{process} {name}", attributes={"causeway.instance": instance_id}
        ):
            opened = _OpenStep(process, instance_id, name, system, datetime.now(UTC), _trace_id())
            token = _open_step.set(opened)
            began = time.perf_counter()
            status, detail = "done", None
            try:
                yield
            except BaseException as error:
                status, detail = _failure(error)
                raise
            finally:
                _open_step.reset(token)
                took = (time.perf_counter() - began) * 1000
                step = ActivityEvent(
                    "step", name, status, opened.started_at, took, system, opened.trace_id, detail
                )
                self._write(process, instance_id, step, opened.calls)

    def find(self, number: str) -> list[Timeline]:
        """The timelines of every instance known by `number` (or whose id it is)."""
        with self.database.connect() as connection:
            instances = {
                str(row[0])
                for row in connection.execute(
                    select(activity_key.c.instance_id).where(activity_key.c.value == number)
                )
            }
            instances |= {
                str(row[0])
                for row in connection.execute(
                    select(activity_event.c.instance_id)
                    .where(activity_event.c.instance_id == number)
                    .limit(1)
                )
            }
            return [self._timeline(connection, instance) for instance in sorted(instances)]

    def _timeline(self, connection: Connection, instance_id: str) -> Timeline:
        keys: dict[str, list[str]] = {}
        process = ""
        for kind, value, named_process in connection.execute(
            select(activity_key.c.kind, activity_key.c.value, activity_key.c.process)
            .where(activity_key.c.instance_id == instance_id)
            .order_by(activity_key.c.kind, activity_key.c.value)
        ):
            keys.setdefault(str(kind), []).append(str(value))
            process = str(named_process)
        events = []
        for row in connection.execute(
            select(activity_event)
            .where(activity_event.c.instance_id == instance_id)
            .order_by(activity_event.c.id)
        ).mappings():
            process = process or str(row["process"])
            started = row["started_at"]
            events.append(
                ActivityEvent(
                    kind=row["kind"],
                    name=row["name"],
                    status=row["status"],
                    started_at=started if started.tzinfo else started.replace(tzinfo=UTC),
                    duration_ms=float(row["duration_ms"]),
                    system=row["system"],
                    trace_id=row["trace_id"],
                    detail=row["detail"],
                    id=int(row["id"]),
                    parent_id=row["parent_id"],
                )
            )
        return Timeline(instance_id, process, keys, events)

    def _write(
        self,
        process: str,
        instance_id: str,
        event: ActivityEvent,
        calls: Sequence[ActivityEvent],
    ) -> None:
        try:
            self._insert(process, instance_id, event, calls)
        except SQLAlchemyError as error:
            # The timeline describes the work; it must never be why the work fails.
            log.warning("timeline not written", instance=instance_id, error=str(error))

    def _insert(
        self,
        process: str,
        instance_id: str,
        event: ActivityEvent,
        calls: Sequence[ActivityEvent],
    ) -> None:
        with self.database.begin() as connection:
            inserted = connection.execute(
                activity_event.insert().values(_row(process, instance_id, event))
            ).inserted_primary_key
            parent = inserted[0] if inserted is not None else None
            if calls:
                connection.execute(
                    activity_event.insert(),
                    [_row(process, instance_id, call) | {"parent_id": parent} for call in calls],
                )


@contextmanager
def call(name: str, *, system: str) -> Iterator[None]:
    """Time one call to a system inside the open step; outside a step it records nothing."""
    opened = _open_step.get()
    started = datetime.now(UTC)
    began = time.perf_counter()
    status, detail = "done", None
    try:
        yield
    except BaseException as error:
        status, detail = _failure(error)
        raise
    finally:
        if opened is not None:
            took = (time.perf_counter() - began) * 1000
            opened.calls.append(
                ActivityEvent("call", name, status, started, took, system, _trace_id(), detail)
            )


def _row(process: str, instance_id: str, event: ActivityEvent) -> dict[str, object]:
    return {
        "instance_id": instance_id,
        "process": process,
        "kind": event.kind,
        "name": event.name[:300],
        "system": event.system,
        "status": event.status[:60],
        "started_at": event.started_at,
        "duration_ms": event.duration_ms,
        "trace_id": event.trace_id,
        "detail": event.detail,
    }
