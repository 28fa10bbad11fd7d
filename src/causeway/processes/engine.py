"""Durable business processes (order-to-cash, returns) on DBOS Transact.

A process is a versioned definition (`@definition("order_to_cash", version=2)`) whose steps,
timers and waits are checkpointed in a database, so an instance killed at any moment resumes
where it stopped and never repeats a finished step. Instances are keyed by business key: the
instance of `order_to_cash` for CRM order 801... is `order_to_cash:801...`; starting it twice
gives the same instance, and external events reach it by that key (`signal`).

Versions: each version registers under its own name (`order_to_cash@v2`). New instances start
on the newest version; a running instance is recovered by the name it was started with, so it
finishes on the version it began with as long as that version stays registered. DBOS's own
application version is pinned, so deploying new code does not orphan running instances.

Why DBOS (decision 0002): durable steps, sleeps and messages with timeouts on SQLite and
PostgreSQL without a server, at 45 to 100 three-step workflows per second on this hardware,
which is ample for order-level processes. Record sync does not run here: it is batched on
the event backbone.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import thread as futures_thread
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from dbos import DBOS, DBOSConfig, SetWorkflowID, WorkflowHandle
from dbos._error import DBOSMaxStepRetriesExceeded, DBOSNonExistentWorkflowError
from sqlalchemy.engine import make_url

from causeway.connectors.errors import ConnectorError, ErrorClass
from causeway.observe.activity import ActivityLog
from causeway.processes.resumable import (
    ENDED,
    RUNNING,
    Event,
    Finish,
    InstanceRow,
    InstanceStore,
    Rest,
    Resume,
    Segment,
    Waker,
    instance_of,
    segment_workflow_id,
)
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade

APPLICATION_VERSION = "causeway-processes-1"
"""Pinned: instances survive code deployments; definitions carry their own versions."""

Definition = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])

SIGNAL_POLL_S = 0.2
EXECUTOR_THREAD_PREFIX = "dbos-executor"
SEGMENT_QUEUE = "causeway_segments"
SEGMENT_CONCURRENCY = 16
"""Segments of resumable instances running at once per host: bounds threads and the load a
wave of wake-ups (an ERP posting a day's deliveries) puts on the systems."""
FAILED = ("ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")

_registry: dict[str, dict[int, Definition]] = {}
_resumable: set[tuple[str, int]] = set()
"""(name, version) of the definitions that rest between events (see `resumable`)."""
_lock = threading.Lock()


class ProcessError(Exception):
    """A process was used wrongly: unknown definition, engine not started."""


class UnknownInstanceError(ProcessError):
    """An event was sent to an instance that was never started."""


@dataclass(frozen=True)
class InstanceStatus:
    """Where one instance stands."""

    instance_id: str
    definition: str
    status: str
    """PENDING (running or waiting), SUCCESS, ERROR, CANCELLED, ..."""
    result: Any = None
    error: str | None = None


def instance_id(name: str, key: str) -> str:
    """The id of the instance of process `name` for business key `key`."""
    return f"{name}:{key}"


def _check_version(name: str, version: int) -> None:
    if version < 1:
        raise ProcessError(f"process {name}: versions start at 1, not {version}")


def _register(name: str, version: int, function: Callable[..., Any]) -> Definition:
    """Make `function` the durable workflow of one version of process `name`."""
    workflow = DBOS.workflow(name=f"{name}@v{version}")(function)
    with _lock:
        versions = _registry.setdefault(name, {})
        if version in versions:
            raise ProcessError(f"process {name} version {version} is registered twice")
        versions[version] = workflow
    return workflow


def definition(name: str, version: int) -> Callable[[F], F]:
    """Register a process definition version; the function becomes a durable workflow."""
    _check_version(name, version)

    def register(function: F) -> F:
        return cast(F, _register(name, version, function))

    return register


def resumable(name: str, version: int) -> Callable[[Segment], Segment]:
    """Register a version of a process that rests between events (see `resumable`): the
    function runs once per segment, given a `Resume`, and answers `Rest` or `Finish`."""
    _check_version(name, version)

    def register(function: Segment) -> Segment:
        def segment(
            key: str, number: int, arguments: list[Any], state: dict[str, Any] | None,
            seen: int, events: list[list[Any]], now: float, timer_due: bool,
        ) -> Any:
            delivered = tuple(Event(int(id_), str(topic), payload)
                              for id_, topic, payload in events)
            outcome = function(Resume(key, tuple(arguments), state, delivered, now, timer_due))
            last = max([seen, *(event.id for event in delivered)])
            _settle(instance_id(name, key), name, version, number, arguments, last, outcome)
            return outcome.result if isinstance(outcome, Finish) else None

        segment.__name__ = segment.__qualname__ = f"{name}_v{version}_segment"
        _register(name, version, segment)
        with _lock:
            _resumable.add((name, version))
        return function

    return register


def versions(name: str) -> list[int]:
    """Registered versions of a process, oldest first."""
    return sorted(_registry.get(name, {}))


def transient(error: BaseException) -> bool:
    """True for a step that failed only because a system was down or throttling, its own
    retries included (DBOS reports those spent as one error carrying each attempt's)."""
    if isinstance(error, DBOSMaxStepRetriesExceeded):
        return bool(error.errors) and all(transient(attempt) for attempt in error.errors)
    return isinstance(error, ConnectorError) and error.error_class in (
        ErrorClass.RETRYABLE,
        ErrorClass.THROTTLED,
    )


def _retryable(error: BaseException) -> bool:
    """Retry transient failures and throttling; a wrong record or a fatal error is final."""
    if isinstance(error, ConnectorError):
        return error.error_class in (ErrorClass.RETRYABLE, ErrorClass.THROTTLED)
    return not isinstance(error, ValueError | TypeError | KeyError | LookupError)


KeysOf = Callable[..., Mapping[str, str | None]]
"""(step result, *step arguments) -> the business numbers the step learned, by kind."""

_activity: ActivityLog | None = None
"""Where steps write the instances' timelines; set when an engine launches."""


def step(
    *,
    attempts: int = 5,
    interval_s: float = 1.0,
    backoff: float = 2.0,
    system: str | None = None,
    keys: KeysOf | None = None,
) -> Callable[[F], F]:
    """A checkpointed step: done once per instance, retried with backoff while the failure
    is transient (a connector's retryable or throttled error).

    Each attempt is a step of the instance's timeline (`causeway trace`), against `system`;
    `keys` names the documents it learned (the ERP order it created), so the timeline is
    found by their numbers too.
    """

    def wrap(function: F) -> F:
        label = function.__name__.replace("_", " ")

        @functools.wraps(function)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            log, workflow = _activity, DBOS.workflow_id
            if log is None or workflow is None:
                return function(*args, **kwargs)
            instance = instance_of(workflow)
            process = instance.partition(":")[0]
            with log.step(process, instance, label, system=system):
                result = function(*args, **kwargs)
            if keys is not None:
                log.remember(process, instance, keys(result, *args, **kwargs))
            return result

        return cast(
            F,
            DBOS.step(
                retries_allowed=attempts > 1,
                max_attempts=attempts,
                interval_seconds=interval_s,
                backoff_rate=backoff,
                should_retry=_retryable,
            )(recorded),
        )

    return wrap


_instances: InstanceStore | None = None
"""Where resumable instances rest; set when an engine launches."""


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=0.2)
def _settle(
    instance: str, process: str, version: int, segment: int, arguments: list[Any], seen: int,
    outcome: Rest | Finish,
) -> None:
    """A segment's last step: rest (state, timer) or end (result); a step, so a segment
    replayed after a crash does not settle twice."""
    if _instances is None:
        raise ProcessError("the process engine has not been launched")
    _instances.settle(instance, process, version, segment, arguments, seen, outcome)


def wait_for(topic: str, timeout_s: float) -> Any:
    """Inside a process: the next event on `topic` sent to this instance, or None after
    `timeout_s` (durable: a restart keeps the deadline)."""
    return DBOS.recv(topic, timeout_seconds=timeout_s)


def sleep(seconds: float) -> None:
    """Inside a process: a durable timer."""
    DBOS.sleep(seconds)


def _system_database(url: str) -> str:
    """DBOS's tables live next to Causeway's: a sibling SQLite file (SQLite has one writer,
    and the backbone should not queue behind process checkpoints), or the same PostgreSQL
    database (DBOS keeps to its own schema)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise ProcessError("durable processes need a database file, not an in-memory one")
        path = Path(database)
        return f"sqlite:///{path.with_name(path.stem + '-processes.sqlite')}"
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def system_database_url(database_url: str) -> str:
    """Where the engine keeps its checkpoints for Causeway's database `database_url`."""
    return _system_database(database_url)


def send_from_outside(
    database_url: str, name: str, key: str, topic: str, payload: Any,
    idempotency_key: str | None = None,
) -> None:
    """Signal an instance from a process that does not host the engine (an operator's
    command): launching the engine there would also resume other instances. A resting
    instance's host wakes it within its polling interval."""
    database = make_engine(database_url)
    try:
        store = InstanceStore(database)
        if store.deliver(instance_id(name, key), topic, payload, idempotency_key) is not None:
            return
    finally:
        database.dispose()
    from dbos import DBOSClient

    client = DBOSClient(system_database_url=_system_database(database_url))
    try:
        client.send(instance_id(name, key), payload, topic, idempotency_key=idempotency_key)
    except DBOSNonExistentWorkflowError as error:
        raise UnknownInstanceError(f"no instance {instance_id(name, key)}") from error
    finally:
        client.destroy()


def _release_waiting_instances() -> None:
    """Let the OS process exit while instances still wait (for a payment due in 30 days).

    Their waits are checkpointed and resume at the next launch, but DBOS's executor threads
    are not daemons and sit in those waits: without this, interpreter exit would join them
    and hang until their timeouts. This takes them off the two lists exit joins (private to
    `concurrent.futures` and `threading`, stable since Python 3.9); the threads touch
    nothing durable any more once the engine is destroyed.
    """
    waiting = [
        thread
        for thread in threading.enumerate()
        if thread.name.startswith(EXECUTOR_THREAD_PREFIX) and thread.is_alive()
    ]
    queues: dict[threading.Thread, Any] = getattr(futures_thread, "_threads_queues", {})
    locks: set[Any] = getattr(threading, "_shutdown_locks", set())
    guard = getattr(threading, "_shutdown_locks_lock", None)
    for thread in waiting:
        queues.pop(thread, None)
        lock = getattr(thread, "_tstate_lock", None)
        if guard is not None:
            with guard:
                locks.discard(lock)


class ProcessEngine:
    """Starts, signals and inspects process instances; one per OS process (DBOS is global)."""

    def __init__(
        self, database_url: str, name: str = "causeway", concurrency: int = SEGMENT_CONCURRENCY
    ) -> None:
        self.database_url = database_url
        self.system_database_url = _system_database(database_url)
        self.name = name
        self.concurrency = concurrency
        self._launched = False
        self._waker: Waker | None = None
        self._queue: Any = None

    def launch(self) -> None:
        """Open the engine; instances interrupted by a crash resume in the background, and
        resting instances wake when their events or timers are due."""
        DBOS(
            config=DBOSConfig(
                name=self.name,
                system_database_url=self.system_database_url,
                application_version=APPLICATION_VERSION,
                log_level="WARNING",
                # How soon a waiting instance sees a signal where the database cannot push
                # notifications (SQLite); PostgreSQL uses LISTEN/NOTIFY.
                notification_listener_polling_interval_sec=SIGNAL_POLL_S,
            )
        )
        global _activity, _instances
        database = make_engine(self.database_url)
        upgrade(database)
        _activity = ActivityLog(database)
        _instances = InstanceStore(database)
        DBOS.launch()
        self._queue = DBOS.register_queue(
            SEGMENT_QUEUE, worker_concurrency=self.concurrency, polling_interval_sec=0.05,
        )
        self._waker = Waker(_instances, self._start_segment, poll_s=SIGNAL_POLL_S)
        self._restart_first_segments(_instances)
        self._waker.start()
        self._launched = True

    def shutdown(self) -> None:
        """Stop the engine; running instances resume at the next launch."""
        if self._launched:
            global _activity, _instances
            if self._waker is not None:
                self._waker.stop()
                self._waker = None
            DBOS.destroy(destroy_registry=False)
            self._launched = False
            _release_waiting_instances()
            if _activity is not None:
                _activity.database.dispose()
                _activity = None
            _instances = None

    def start(self, name: str, key: str, *arguments: Any, version: int | None = None) -> str:
        """Start the instance of `name` for `key` on the newest version (or `version`);
        starting an instance that exists already (a redelivered trigger) returns it
        unchanged, on the version it runs."""
        self._require()
        registered = _registry.get(name)
        if not registered:
            raise ProcessError(f"no process named {name!r} is registered")
        chosen = max(registered) if version is None else version
        if chosen not in registered:
            raise ProcessError(f"process {name!r} has no version {chosen}")
        workflow = registered[chosen]
        instance = instance_id(name, key)
        if (name, chosen) in _resumable:
            if DBOS.get_workflow_status(instance) is None:
                # Registered first, so events sent meanwhile wait in its inbox; a crash
                # before the enqueue is repaired at the next launch.
                store = self._store()
                store.register(instance, name, chosen, arguments)
                row = store.get(instance)
                if row is not None and row.segment == 0 and row.status == RUNNING:
                    self._enqueue_first(row)
            return instance
        with SetWorkflowID(instance):
            handle = DBOS.start_workflow(workflow, *arguments)
        return str(handle.get_workflow_id())

    def _enqueue_first(self, row: InstanceRow) -> None:
        workflow = self._workflow(row)
        key = row.instance_id.removeprefix(f"{row.process}:")
        with SetWorkflowID(row.instance_id):
            self._queue.enqueue(workflow, key, 0, row.arguments, None, 0, [], time.time(), False)

    def _restart_first_segments(self, store: InstanceStore) -> None:
        """Instances registered by a host that died before it enqueued their first segment."""
        for row in store.first_segments():
            if DBOS.get_workflow_status(row.instance_id) is None:
                self._enqueue_first(row)

    @staticmethod
    def _workflow(row: InstanceRow) -> Definition:
        workflow = _registry.get(row.process, {}).get(row.version)
        if workflow is None:
            raise ProcessError(
                f"{row.instance_id} runs on {row.process} version {row.version}, which is no "
                "longer registered: deploy it alongside the newer versions until it ends"
            )
        return workflow

    def _start_segment(
        self, row: InstanceRow, events: list[Event], now: float, timer_due: bool
    ) -> None:
        """Start a resting instance's next segment on the version it started with."""
        workflow = self._workflow(row)
        key = row.instance_id.removeprefix(f"{row.process}:")
        delivered = [[event.id, event.topic, event.payload] for event in events]
        with SetWorkflowID(segment_workflow_id(row.instance_id, row.segment + 1)):
            self._queue.enqueue(workflow, key, row.segment + 1, row.arguments, row.state,
                                row.inbox_seen, delivered, now, timer_due)

    def signal(
        self, name: str, key: str, topic: str, payload: Any, idempotency_key: str | None = None
    ) -> None:
        """Deliver an external event (a credit release, a delivery) to an instance by its
        business key; with `idempotency_key`, the same event sent twice arrives once."""
        self._require()
        instance = instance_id(name, key)
        store = self._store()
        posted = store.deliver(instance, topic, payload, idempotency_key)
        if posted is not None:
            if posted and self._waker:
                self._waker.nudge()
            return
        try:
            DBOS.send(instance, payload, topic, idempotency_key=idempotency_key)
        except DBOSNonExistentWorkflowError as error:
            raise UnknownInstanceError(f"no instance {instance}") from error

    def status(self, name: str, key: str) -> InstanceStatus | None:
        """Where the instance stands, or None if it was never started. A resting instance
        is PENDING, like a running one."""
        self._require()
        instance = instance_id(name, key)
        row = self._store().get(instance)
        if row is not None and row.status == ENDED:
            return InstanceStatus(instance, f"{row.process}@v{row.version}", "SUCCESS",
                                  result=row.result)
        workflow = instance if row is None else row.segment_id()
        found = DBOS.get_workflow_status(workflow)
        if found is None and row is None:
            return None
        if row is not None and (found is None or str(found.status) not in FAILED):
            return InstanceStatus(instance, f"{row.process}@v{row.version}", "PENDING")
        assert found is not None
        return InstanceStatus(
            instance_id=instance,
            definition=str(found.name),
            status=str(found.status),
            result=found.output,
            error=None if found.error is None else str(found.error),
        )

    def result(self, name: str, key: str, poll_s: float = 0.02) -> Any:
        """Wait for the instance to finish and return its result (raises its error)."""
        self._require()
        if not self._store().exists(instance_id(name, key)):
            handle: WorkflowHandle[Any] = DBOS.retrieve_workflow(instance_id(name, key))
            return handle.get_result(polling_interval_sec=poll_s)
        while True:
            found = self.status(name, key)
            if found is None:
                raise UnknownInstanceError(f"no instance {instance_id(name, key)}")
            if found.status == "SUCCESS":
                return found.result
            if found.status in FAILED:
                row = self._store().get(found.instance_id)
                workflow = found.instance_id if row is None else row.segment_id()
                return DBOS.retrieve_workflow(workflow).get_result()
            time.sleep(poll_s)

    def resting(self) -> list[InstanceRow]:
        """Every resumable instance not yet ended, with what it keeps (for operators and
        diagnostics)."""
        return self._store().unended()

    def wake_due(self) -> int:
        """Wake every resting instance that is due now (the host does it in the background;
        tests and tools call it to not wait for the next poll)."""
        self._require()
        assert self._waker is not None
        return self._waker.wake_due()

    def _store(self) -> InstanceStore:
        if _instances is None:
            raise ProcessError("the process engine has not been launched")
        return _instances

    def _require(self) -> None:
        if not self._launched:
            raise ProcessError("the process engine has not been launched")
