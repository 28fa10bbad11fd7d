"""Tryton's JSON-RPC wire: typed values, session login, and a class for every failure.

Tryton answers most failures with status 200 and an `error` member: `UserError` for
validation, `ConcurrencyException` for stale timestamps, `LoginException` for missing login
parameters, or a bare `(message, traceback)` pair for anything else. HTTP statuses are
used for authentication (401), permission (403), rate limits (429) and timeouts (504).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.connectors.transport import ServerClock

log = structlog.get_logger("causeway.connectors.tryton")

# Messages of a server running with language "en"; anything unmatched stays "invalid".
_PERMISSION = re.compile(r"^You are not allowed to ")
# "You are not allowed to modify the field "Code" in record ...": the record, not the user.
_READ_ONLY_FIELD = re.compile(r'^You are not allowed to (?:modify|write) the field "([^"]+)"')
_UNIQUE = re.compile(r"must be unique")
_TRANSIENT = re.compile(r"database is locked|could not serialize|deadlock detected", re.I)
_FIELD_LABEL = re.compile(r'field "([^"]+)"')


class TrytonSettings(BaseModel):
    """Where a Tryton server answers and how to log in; the password never prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(description="Base URL of trytond, e.g. https://erp.example.com")
    database: str
    login: str
    password: SecretStr
    system: str = "tryton"
    language: str = "en"
    timeout: float = Field(default=30.0, gt=0, description="Seconds per request")
    settle_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How far behind the server's clock polling stops; trytond stamps rows "
        "with the transaction's start, and its default request timeout is 60 s",
    )
    max_batch: int = Field(default=100, gt=0)
    context: dict[str, Any] = Field(
        default_factory=dict, description="Overrides merged into the user's preferences"
    )


def _encode(value: Any) -> Any:
    """Tryton's JSON form of the values plain JSON cannot carry."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"cannot send {type(value).__name__} to Tryton")


def _decode(member: dict[str, Any]) -> Any:
    """Turn Tryton's typed JSON objects back into Python values; datetimes are UTC."""
    kind = member.get("__class__")
    if kind == "datetime":
        return datetime(
            member["year"],
            member["month"],
            member["day"],
            member["hour"],
            member["minute"],
            member["second"],
            member["microsecond"],
            tzinfo=UTC,
        )
    if kind == "date":
        return date(member["year"], member["month"], member["day"])
    if kind == "time":
        return time(member["hour"], member["minute"], member["second"], member["microsecond"])
    if kind == "timedelta":
        return timedelta(seconds=member["seconds"])
    if kind == "Decimal":
        return Decimal(member["decimal"])
    if kind == "bytes":
        return base64.b64decode(member["base64"])
    return member


def dumps(payload: Any) -> bytes:
    """A JSON-RPC body with Tryton's typed values."""
    return json.dumps(payload, default=_encode, separators=(",", ":")).encode()


def loads(body: bytes) -> Any:
    """Parse a JSON-RPC answer, decoding Tryton's typed values."""
    return json.loads(body, object_hook=_decode)


def field_from_message(message: str, labels: Mapping[str, str]) -> str | None:
    """The field a Tryton validation message names by its label, when exactly one matches."""
    names = {
        name
        for label in _FIELD_LABEL.findall(message)
        for name, field_label in labels.items()
        if field_label == label
    }
    return names.pop() if len(names) == 1 else None


def in_context(error: ConnectorError, **context: str | None) -> ConnectorError:
    """The same failure with more business context (object, record id, field) filled in."""
    values: dict[str, Any] = {
        "system": error.system,
        "object_name": error.object_name,
        "record_id": error.record_id,
        "field": error.field,
        "status": error.status,
        "code": error.code,
        "retry_after": error.retry_after,
        "ambiguous": error.ambiguous,
    }
    values.update({key: value for key, value in context.items() if value is not None})
    return type(error)(error.message, **values)


class TrytonClient:
    """One logged-in JSON-RPC line to a Tryton database, re-logging in once on expiry."""

    def __init__(
        self, settings: TrytonSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"), timeout=settings.timeout, transport=transport
        )
        self._authorization: str | None = None
        self._context: dict[str, Any] | None = None
        self.clock = ServerClock()
        self._request_id = 0

    def __repr__(self) -> str:
        return (
            f"TrytonClient(url={self.settings.url!r}, database={self.settings.database!r}, "
            f"login={self.settings.login!r})"
        )

    @property
    def system(self) -> str:
        """The configured system name errors are reported under."""
        return self.settings.system

    def server_now(self) -> datetime:
        """The server's clock as last seen in a Date header (never ahead of it)."""
        return self.clock.now()

    async def login(self) -> None:
        """Open a session and load the user's preferences as the context of later calls."""
        settings = self.settings
        params = [settings.login, {"password": settings.password.get_secret_value()}]
        result = await self._post("common.db.login", [*params, settings.language], False, None)
        user_id, session = result[0], result[1]
        token = base64.b64encode(f"{settings.login}:{user_id}:{session}".encode()).decode()
        self._authorization = f"Session {token}"
        preferences = await self._post("model.res.user.get_preferences", [True, {}], False, None)
        self._context = {**preferences, **settings.context}
        log.info("tryton.login", database=settings.database, user_id=user_id)

    async def logout(self) -> None:
        """End the session on the server, if one is open."""
        if self._authorization is not None:
            try:
                await self._post("common.db.logout", [], False, None)
            finally:
                self._authorization = None

    async def execute(
        self,
        model: str,
        method: str,
        *args: Any,
        writes: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call `model.<model>.<method>(*args, context)`; `writes` marks calls that change data."""
        if self._authorization is None:
            await self.login()
        params = [*args, {**(self._context or {}), **(context or {})}]
        try:
            return await self._post(f"model.{model}.{method}", params, writes, model)
        except _SessionRejected:
            log.info("tryton.session_rejected", database=self.settings.database)
            await self.login()
            params = [*args, {**(self._context or {}), **(context or {})}]
            try:
                return await self._post(f"model.{model}.{method}", params, writes, model)
            except _SessionRejected as error:
                raise FatalError(
                    "session rejected right after a fresh login",
                    system=self.system,
                    object_name=model,
                    status=401,
                ) from error

    async def aclose(self) -> None:
        """Close the HTTP connections (the session is left to expire on the server)."""
        await self._http.aclose()

    async def _post(
        self, method: str, params: Sequence[Any], writes: bool, model: str | None
    ) -> Any:
        self._request_id += 1
        headers = {"Content-Type": "application/json"}
        if self._authorization is not None and method != "common.db.login":
            headers["Authorization"] = self._authorization
        body = dumps({"id": self._request_id, "method": method, "params": list(params)})
        try:
            response = await self._http.post(
                f"/{self.settings.database}/rpc/", content=body, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise RetryableError(
                f"cannot reach the server: {type(error).__name__}",
                system=self.system,
                object_name=model,
            ) from None
        except httpx.TransportError as error:
            # The request left; the server may have committed it before the line failed.
            raise RetryableError(
                f"no answer after sending: {type(error).__name__}",
                system=self.system,
                object_name=model,
                ambiguous=writes,
            ) from None
        self.clock.observe(response)
        return self._result(method, response, writes, model)

    def _result(
        self, method: str, response: httpx.Response, writes: bool, model: str | None
    ) -> Any:
        status = response.status_code
        where: dict[str, Any] = {"system": self.system, "object_name": model, "status": status}
        if status == 401:
            if method == "common.db.login":
                raise FatalError("login refused: wrong login or password", **where)
            if self._authorization is not None and method != "common.db.logout":
                raise _SessionRejected
            raise FatalError("not authenticated", **where)
        if status == 403:
            raise FatalError(f"{method} is forbidden for this user", **where)
        if status == 404:
            raise FatalError(f"database {self.settings.database!r} not found", **where)
        if status == 429:
            raise ThrottledError("too many requests", retry_after=_retry_after(response), **where)
        if status == 504:
            raise RetryableError("the server timed out", ambiguous=writes, **where)
        if status >= 500:
            raise RetryableError(f"server error {status}", ambiguous=writes, **where)
        if status != 200:
            raise FatalError(f"unexpected HTTP status {status} for {method}", **where)
        try:
            answer = loads(response.content)
        except ValueError:
            raise RetryableError("answer is not JSON", ambiguous=writes, **where) from None
        if not isinstance(answer, dict):
            raise FatalError("answer is not a JSON-RPC object", **where)
        if "error" in answer and answer["error"] is not None:
            raise classify(answer["error"], system=self.system, object_name=model)
        return answer.get("result")


class _SessionRejected(Exception):
    """The server refused our session (expired or revoked): log in again once."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def classify(error: Any, *, system: str, object_name: str | None) -> ConnectorError:
    """The connector error for the `error` member of a Tryton JSON-RPC answer."""
    where: dict[str, Any] = {"system": system, "object_name": object_name}
    if not isinstance(error, list | tuple) or not error:
        return FatalError(f"unreadable error answer: {error!r}"[:300], **where)
    kind, detail = str(error[0]), error[1] if len(error) > 1 else None
    if kind == "UserError":
        message = _first_text(detail)
        read_only = _READ_ONLY_FIELD.match(message)
        if read_only:
            return InvalidRecordError(message, code=kind, field=read_only.group(1), **where)
        if _PERMISSION.match(message):
            return FatalError(message, code=kind, **where)
        if _UNIQUE.search(message):
            return ConflictError(message, code=kind, **where)
        return InvalidRecordError(message, code=kind, **where)
    if kind == "UserWarning":
        # A warning waits for a person to confirm it; a replay after review can.
        message = _first_text(detail[1:] if isinstance(detail, list) else detail)
        return InvalidRecordError(message, code=kind, **where)
    if kind == "ConcurrencyException":
        return ConflictError(_first_text(detail), code=kind, **where)
    if kind == "LoginException":
        return FatalError("login needs more than a password", code=kind, **where)
    # Any other server exception travels as (str(exception), traceback).
    if _TRANSIENT.search(kind):
        return RetryableError(kind, code="ServerError", **where)
    if re.fullmatch(r"'[^']*'", kind):
        # str(KeyError): an unknown model or field name.
        return InvalidRecordError(
            f"unknown name {kind}", code="KeyError", field=kind.strip("'"), **where
        )
    return InvalidRecordError(kind[:500], code="ServerError", **where)


def _first_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list | tuple) and detail and isinstance(detail[0], str):
        return detail[0]
    return "rejected by the server"
