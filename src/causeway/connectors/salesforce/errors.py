"""Salesforce error bodies turned into Causeway's failure classes.

Salesforce answers `[{"message", "errorCode", "fields"}]`; the error code, not the HTTP
status alone, decides whether a retry can help.
"""

from __future__ import annotations

from typing import Any

from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)

SYSTEM = "salesforce"

_RETRYABLE = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"})
_CONFLICT = frozenset({"DUPLICATE_VALUE", "DUPLICATES_DETECTED", "ENTITY_IS_LOCKED"})
_FATAL = frozenset(
    {
        "INVALID_SESSION_ID",
        "INSUFFICIENT_ACCESS",
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "API_DISABLED_FOR_ORG",
        "INVALID_TYPE",
        "MALFORMED_QUERY",
        "NOT_FOUND_ENDPOINT",
        "API_CURRENTLY_DISABLED",
    }
)
_THROTTLED = frozenset({"REQUEST_LIMIT_EXCEEDED", "CONCURRENT_REQUEST_LIMIT_EXCEEDED"})
# The daily limit resets over a rolling day; an hour is a reasonable first wait.
DAILY_LIMIT_BACKOFF_S = 3600.0


def first_error(body: Any) -> tuple[str, str, list[str]]:
    """(errorCode, message, fields) of the first error in a Salesforce error body."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        entry = body[0]
    elif isinstance(body, dict):
        entry = body
    else:
        return "", str(body)[:500], []
    code = str(entry.get("errorCode") or entry.get("statusCode") or entry.get("error") or "")
    message = str(entry.get("message") or entry.get("error_description") or "")
    fields = [str(name) for name in entry.get("fields") or []]
    return code, message, fields


def classify(
    status: int,
    body: Any,
    *,
    object_name: str | None = None,
    record_id: str | None = None,
    retry_after: float | None = None,
    write: bool = False,
) -> ConnectorError:
    """The typed error for a failed Salesforce response."""
    code, message, fields = first_error(body)
    context: dict[str, Any] = {
        "system": SYSTEM,
        "object_name": object_name,
        "record_id": record_id,
        "field": ",".join(fields) or None,
        "status": status,
        "code": code or None,
    }
    message = message or f"HTTP {status}"
    if status == 429 or code in _THROTTLED:
        wait = retry_after
        if wait is None and code == "REQUEST_LIMIT_EXCEEDED":
            wait = DAILY_LIMIT_BACKOFF_S
        return ThrottledError(message, retry_after=wait, **context)
    if status == 300:
        return ConflictError(message or "several records match the external id", **context)
    if code in _CONFLICT or status == 409:
        return ConflictError(message, **context)
    if code in _RETRYABLE or status >= 500:
        ambiguous = write and status in (500, 502, 504)
        return RetryableError(message, retry_after=retry_after, ambiguous=ambiguous, **context)
    if code in _FATAL or status in (401, 403):
        return FatalError(message, **context)
    return InvalidRecordError(message, **context)
