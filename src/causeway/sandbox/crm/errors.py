"""Errors in Salesforce's dialect: a JSON list of {message, errorCode, fields}.

Raised anywhere in the sandbox and rendered in one place, so every failure a client sees
has the same shape and status codes as a real org's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse
from starlette.responses import Response


@dataclass(frozen=True)
class ErrorItem:
    """One entry of an error list; `fields` names the offending fields if any."""

    error_code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_rest(self) -> dict[str, Any]:
        """The entry as the REST API writes it in a 4xx body."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields:
            body["fields"] = list(self.fields)
        return body

    def as_save_result(self) -> dict[str, Any]:
        """The entry as it appears in a SaveResult (collections, upsert)."""
        return {"statusCode": self.error_code, "message": self.message,
                "fields": list(self.fields)}


@dataclass
class SalesforceError(Exception):
    """A failure the API reports to the caller with `status` and one or more entries."""

    status: int
    items: list[ErrorItem]
    sobject: str | None = None
    record_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = "/".join(part for part in (self.sobject, self.record_id) if part)
        text = "; ".join(f"{item.error_code}: {item.message}" for item in self.items)
        return f"{where}: {text}" if where else text

    @classmethod
    def of(cls, status: int, error_code: str, message: str, fields: Sequence[str] = (),
           sobject: str | None = None, record_id: str | None = None) -> SalesforceError:
        """A failure with a single entry."""
        return cls(status, [ErrorItem(error_code, message, tuple(fields))], sobject, record_id)

    def response(self) -> Response:
        """The HTTP response a real org sends for this failure."""
        return JSONResponse([item.as_rest() for item in self.items], status_code=self.status,
                            headers=self.headers)


def render_error(status: int, error_code: str, message: str) -> Response:
    """Fault-injection renderer: the error in the Salesforce dialect."""
    return JSONResponse([{"message": message, "errorCode": error_code}], status_code=status)


def not_found(sobject: str | None = None, record_id: str | None = None) -> SalesforceError:
    """The answer for a record, object or resource that does not exist."""
    return SalesforceError.of(404, "NOT_FOUND", "The requested resource does not exist",
                              sobject=sobject, record_id=record_id)


def invalid_session() -> SalesforceError:
    """The answer for a missing, unknown or expired access token."""
    return SalesforceError.of(401, "INVALID_SESSION_ID", "Session expired or invalid")


def json_parser_error(message: str) -> SalesforceError:
    """The answer for a body that is not the JSON the resource expects."""
    return SalesforceError.of(400, "JSON_PARSER_ERROR", message)
