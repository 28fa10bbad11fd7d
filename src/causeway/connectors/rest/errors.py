"""HTTP failures of a configured REST API turned into Causeway's failure classes.

The status decides by default; the configuration says where an error body keeps its message,
code and offending field, and may map the API's own codes to a class (a `DUPLICATE` code on
a 400 is a conflict, not an invalid record).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    ErrorClass,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.connectors.rest.selectors import check_path, find

_MESSAGE_KEYS = ("message", "error_description", "detail", "error", "title")
_FIELD_KEYS = ("field", "param", "attribute")
_CODE_KEYS = ("code", "error_code", "errorCode", "type")
# Statuses that say the configuration (path, method, media type) is wrong, not the record.
_CONFIGURATION = frozenset({404, 405, 406, 410, 415})
# A write answered with these may still have been applied behind a proxy or gateway.
_AMBIGUOUS = frozenset({500, 502, 504})

_CLASSES: dict[ErrorClass, type[ConnectorError]] = {
    ErrorClass.RETRYABLE: RetryableError,
    ErrorClass.THROTTLED: ThrottledError,
    ErrorClass.CONFLICT: ConflictError,
    ErrorClass.INVALID: InvalidRecordError,
    ErrorClass.FATAL: FatalError,
}


class ErrorBody(BaseModel):
    """Where the API's error bodies keep their details, and what its own codes mean."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_path: Annotated[str, AfterValidator(check_path)] | None = Field(
        None, description="JSON path of the message; common keys are tried when unset"
    )
    code_path: Annotated[str, AfterValidator(check_path)] | None = None
    field_path: Annotated[str, AfterValidator(check_path)] | None = None
    codes: dict[str, ErrorClass] = Field(
        default_factory=dict, description="the API's error codes mapped to a failure class"
    )


def body_of(response: httpx.Response) -> Any:
    """The decoded JSON body, or a short text excerpt when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, given as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def details(body: Any, config: ErrorBody) -> tuple[str, str | None, str | None]:
    """(message, code, field) of an error body, by configured path or common key."""
    entry = body[0] if isinstance(body, list) and body else body
    message = _pick(entry, config.message_path, _MESSAGE_KEYS)
    if isinstance(message, dict):  # {"error": {"message": ...}}
        entry = message
        message = _pick(entry, None, _MESSAGE_KEYS)
    code = _pick(entry, config.code_path, _CODE_KEYS)
    field = _pick(entry, config.field_path, _FIELD_KEYS)
    if message is None and isinstance(body, str):
        message = body
    return (
        str(message)[:500] if message is not None else "",
        str(code) if code is not None and not isinstance(code, dict | list) else None,
        str(field) if isinstance(field, str | int) else None,
    )


def classify(
    status: int,
    body: Any,
    config: ErrorBody,
    *,
    system: str,
    object_name: str | None = None,
    record_id: str | None = None,
    retry_after_s: float | None = None,
    write: bool = False,
) -> ConnectorError:
    """The typed error for a failed response; `write` marks ambiguous gateway failures."""
    message, code, field = details(body, config)
    context: dict[str, Any] = {
        "system": system,
        "object_name": object_name,
        "record_id": record_id,
        "field": field,
        "status": status,
        "code": code,
    }
    message = message or f"HTTP {status}"
    configured = config.codes.get(code) if code is not None else None
    if configured is ErrorClass.THROTTLED or (configured is None and status == 429):
        return ThrottledError(message, retry_after=retry_after_s, **context)
    if configured is not None:
        return _CLASSES[configured](message, retry_after=retry_after_s, **context)
    if status in (408, 425) or status >= 500:
        ambiguous = write and status in _AMBIGUOUS
        return RetryableError(message, retry_after=retry_after_s, ambiguous=ambiguous, **context)
    if status in (409, 412):
        return ConflictError(message, **context)
    if status in (401, 403) or status in _CONFIGURATION:
        return FatalError(message, **context)
    return InvalidRecordError(message, **context)


def _pick(entry: Any, path: str | None, keys: tuple[str, ...]) -> Any:
    if path is not None:
        return find(entry, path)
    if isinstance(entry, dict):
        for key in keys:
            if entry.get(key) not in (None, ""):
                return entry[key]
    return None
