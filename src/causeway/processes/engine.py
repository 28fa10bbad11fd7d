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
from collections.abc import Callable, Mapping
from concurrent.futures import thread as futures_thread
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from dbos import DBOS, DBOSConfig, SetWorkflowID, WorkflowHandle
from dbos._error import DBOSMaxStepRetriesExceeded
from sqlalchemy.engine import make_url

from causeway.connectors.errors import ConnectorError, ErrorClass
from causeway.observe.activity import ActivityLog
from causeway.store.engine import make_engine

APPLICATION_VERSION = "causeway-processes-1"
"""Pinned: instances survive code deployments; definitions carry their own versions."""

Definition = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])

SIGNAL_POLL_S = 0.2
EXECUTOR_THREAD_PREFIX = "dbos-executor"

_registry: dict[str, dict[int, Definition]] = {}
_lock = threading.Lock()


class ProcessError(Exception):
    """A process was used wrongly: unknown definition, engine not started."""


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


def definition(name: str, version: int) -> Callable[[F], F]:
    """Register a process definition version; the function becomes a durable workflow."""
    if version < 1:
        raise ProcessError(f"process {name}: versions start at 1, not {version}")

    def register(function: F) -> F:
        workflow = DBOS.workflow(name=f"{name}@v{version}")(function)
        with _lock:
            versions = _registry.setdefault(name, {})
            if version in versions:
                raise ProcessError(f"process {name} version {version} is registered twice")
            versions[version] = workflow
        return cast(F, workflow)

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
            log, instance = _activity, DBOS.workflow_id
            if log is None or instance is None:
                return function(*args, **kwargs)
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
    database_url: str, name: str, key: str, topic: str, payload: Any, idempotency_key: str
) -> None:
    """Signal an instance from a process that does not host the engine (an operator's
    command): launching the engine there would also resume other instances."""
    from dbos import DBOSClient

    client = DBOSClient(system_database_url=_system_database(database_url))
    try:
        client.send(instance_id(name, key), payload, topic, idempotency_key=idempotency_key)
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

    def __init__(self, database_url: str, name: str = "causeway") -> None:
        self.database_url = database_url
        self.system_database_url = _system_database(database_url)
        self.name = name
        self._launched = False

    def launch(self) -> None:
        """Open the engine; instances interrupted by a crash resume in the background."""
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
        global _activity
        _activity = ActivityLog(make_engine(self.database_url))
        DBOS.launch()
        self._launched = True

    def shutdown(self) -> None:
        """Stop the engine; running instances resume at the next launch."""
        if self._launched:
            global _activity
            DBOS.destroy(destroy_registry=False)
            self._launched = False
            _release_waiting_instances()
            if _activity is not None:
                _activity.database.dispose()
                _activity = None

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
        with SetWorkflowID(instance_id(name, key)):
            handle = DBOS.start_workflow(workflow, *arguments)
        return str(handle.get_workflow_id())

    def signal(
        self, name: str, key: str, topic: str, payload: Any, idempotency_key: str | None = None
    ) -> None:
        """Deliver an external event (a credit release, a delivery) to an instance by its
        business key; with `idempotency_key`, the same event sent twice arrives once."""
        self._require()
        DBOS.send(instance_id(name, key), payload, topic, idempotency_key=idempotency_key)

    def status(self, name: str, key: str) -> InstanceStatus | None:
        """Where the instance stands, or None if it was never started."""
        self._require()
        found = DBOS.get_workflow_status(instance_id(name, key))
        if found is None:
            return None
        return InstanceStatus(
            instance_id=found.workflow_id,
            definition=str(found.name),
            status=str(found.status),
            result=found.output,
            error=None if found.error is None else str(found.error),
        )

    def result(self, name: str, key: str, poll_s: float = 0.02) -> Any:
        """Wait for the instance to finish and return its result (raises its error)."""
        self._require()
        handle: WorkflowHandle[Any] = DBOS.retrieve_workflow(instance_id(name, key))
        return handle.get_result(polling_interval_sec=poll_s)

    def _require(self) -> None:
        if not self._launched:
            raise ProcessError("the process engine has not been launched")
