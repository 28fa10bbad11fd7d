"""What every HTTP-based connector does the same way: transport failures and the server clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from causeway.connectors.errors import RetryableError

UNSENT = (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError)
"""Failures that happen before the request left: never ambiguous."""


def transport_failure(
    error: httpx.HTTPError,
    *,
    system: str,
    write: bool,
    object_name: str | None = None,
    record_id: str | None = None,
) -> RetryableError:
    """A retryable error for a request that got no answer; ambiguous if a write was sent."""
    if isinstance(error, httpx.TimeoutException):
        message = "timed out"
    else:
        message = f"connection failed: {type(error).__name__}"
    return RetryableError(
        message,
        system=system,
        object_name=object_name,
        record_id=record_id,
        ambiguous=write and not isinstance(error, UNSENT),
    )


class ServerClock:
    """The system's "now", from the `Date` header of its answers.

    Change stamps are compared with the system's clock, not ours. The header has whole
    seconds, so the offset errs on the early side, which is the safe side for a watermark.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def observe(self, response: httpx.Response) -> None:
        """Update the offset from an answer's `Date` header, if it has a usable one."""
        stamp = response.headers.get("date")
        if not stamp:
            return
        try:
            server = parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            return
        if server.tzinfo is not None:
            self.offset = server - datetime.now(UTC)

    def now(self) -> datetime:
        """The system's current time."""
        return datetime.now(UTC) + self.offset
