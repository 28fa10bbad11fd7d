"""OData error bodies turned into Causeway's failure classes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)

SYSTEM = "s4hana"
# SAP messages often name the property: "Property 'X' ...", "... field X ...".
_PROPERTY = re.compile(r"[Pp]roperty '([A-Za-z0-9_]+)'")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def error_parts(body: Any) -> tuple[str, str, str | None]:
    """(code, message, property) from `{"error": {"code", "message": {"value"}}}`."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return "", str(body)[:500], None
    error = body["error"]
    code = str(error.get("code") or "")
    message = error.get("message")
    text = str(message.get("value") if isinstance(message, dict) else message or "")
    target = error.get("target") or _detail_target(error) or None
    if target is None:
        match = _PROPERTY.search(text)
        target = match.group(1) if match else None
    return code, text, target


def _detail_target(error: dict[str, Any]) -> str | None:
    """The property SAP Gateway names in `innererror.errordetails[].target`, if any."""
    inner = error.get("innererror")
    details = inner.get("errordetails") if isinstance(inner, dict) else None
    for detail in details if isinstance(details, list) else []:
        target = detail.get("target") if isinstance(detail, dict) else None
        # Gateway also puts message targets such as "/#TRANSIENT#" here: names only.
        if isinstance(target, str) and _NAME.match(target):
            return target
    return None


def classify(
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    object_name: str | None = None,
    record_id: str | None = None,
    write: bool = False,
) -> ConnectorError:
    """The typed error for a failed OData response."""
    code, message, target = error_parts(body)
    retry_after = _seconds((headers or {}).get("Retry-After"))
    context: dict[str, Any] = {
        "system": SYSTEM,
        "object_name": object_name,
        "record_id": record_id,
        "field": target,
        "status": status,
        "code": code or None,
    }
    message = message or f"HTTP {status}"
    if status == 429:
        return ThrottledError(message, retry_after=retry_after, **context)
    if status in (409, 412, 428):
        return ConflictError(message, **context)
    if status >= 500:
        ambiguous = write and status in (500, 502, 504)
        return RetryableError(message, retry_after=retry_after, ambiguous=ambiguous, **context)
    if status in (401, 403, 405):
        return FatalError(message, **context)
    return InvalidRecordError(message, **context)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
