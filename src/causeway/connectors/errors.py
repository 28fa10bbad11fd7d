"""How a connector failure is classified, so the runtime can pick the right policy.

Every connector turns its system's failures into one of these types. The class decides
what happens next: retry with backoff, wait for the system's Retry-After, resolve a
conflict, park the record for an operator, or stop the flow.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorClass(StrEnum):
    """What kind of failure this is, from the point of view of what to do about it."""

    RETRYABLE = "retryable"  # transient: network, 5xx, timeouts, lock contention
    THROTTLED = "throttled"  # the system asked us to slow down (429, API limit)
    CONFLICT = "conflict"  # concurrent change, duplicate match, version mismatch
    INVALID = "invalid"  # the record itself is wrong: retrying cannot help
    FATAL = "fatal"  # configuration or credentials: the whole flow must stop


class ConnectorError(Exception):
    """A failure talking to an external system, with the business context to act on it."""

    error_class: ErrorClass = ErrorClass.FATAL

    def __init__(
        self,
        message: str,
        *,
        system: str,
        object_name: str | None = None,
        record_id: str | None = None,
        field: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        self.message = message
        self.system = system
        self.object_name = object_name
        self.record_id = record_id
        self.field = field
        self.status = status
        self.code = code
        self.retry_after = retry_after
        # True when the write may have been applied although we saw a failure
        # (timeout after sending, 504): only an idempotent retry is safe.
        self.ambiguous = ambiguous
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line naming system, object, record and field, for operators and logs."""
        where = self.system
        if self.object_name:
            where += f" {self.object_name}"
        if self.record_id:
            where += f" {self.record_id}"
        if self.field:
            where += f" field {self.field}"
        code = f" [{self.code}]" if self.code else ""
        return f"{where}: {self.message}{code}"


class RetryableError(ConnectorError):
    """Transient failure: the same request may succeed later."""

    error_class = ErrorClass.RETRYABLE


class ThrottledError(ConnectorError):
    """The system is limiting us; `retry_after` says for how long when it told us."""

    error_class = ErrorClass.THROTTLED


class ConflictError(ConnectorError):
    """The write collides with another change or matches several records."""

    error_class = ErrorClass.CONFLICT


class InvalidRecordError(ConnectorError):
    """The system rejected the record's content; it must be fixed before a replay."""

    error_class = ErrorClass.INVALID


class FatalError(ConnectorError):
    """Credentials, permissions or configuration are wrong: stop the flow, alert an operator."""

    error_class = ErrorClass.FATAL
