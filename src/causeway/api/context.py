"""Per-request context: the correlation id every log line and problem carries.

A caller may send `X-Correlation-ID` to follow one operation across systems; otherwise the
API mints one. It is echoed on the response, bound to structlog's context for the request,
and quoted in every problem document, so an operator can go from a client's error to the logs.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from causeway.runtime.envelope import uuid7

HEADER = "X-Correlation-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

_correlation_id: ContextVar[str | None] = ContextVar("causeway_api_correlation_id", default=None)


def current_correlation_id() -> str | None:
    """The id of the request being served, if any."""
    return _correlation_id.get()


def correlation_id_from(header: str | None) -> str:
    """The caller's id when it is safe to log and echo, a fresh one otherwise."""
    if header is not None and _ACCEPTED.match(header):
        return header
    return uuid7()


def set_correlation_id(value: str) -> object:
    """Make `value` the current id; returns the token to reset it with."""
    return _correlation_id.set(value)


def reset_correlation_id(token: object) -> None:
    """Restore the id that was current before `set_correlation_id`."""
    _correlation_id.reset(token)  # type: ignore[arg-type]
