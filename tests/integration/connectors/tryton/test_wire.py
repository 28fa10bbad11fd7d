"""Wire-level behaviour trytond rarely shows on demand: timeouts, 429, 5xx, expiry loops.

A scripted transport answers like trytond does, so each failure class is exercised exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.connectors.tryton import TrytonClient, TrytonSettings
from causeway.connectors.tryton.client import dumps, loads

pytestmark = pytest.mark.anyio

SETTINGS = TrytonSettings(
    url="http://tryton.invalid", database="db", login="sync", password="s3cret-Pw"
)
Answer = Callable[[httpx.Request], httpx.Response]


def scripted(answer: Answer, calls: list[str] | None = None) -> TrytonClient:
    """A client whose login succeeds and whose model calls get `answer`."""

    def handle(request: httpx.Request) -> httpx.Response:
        method = json.loads(request.content)["method"]
        if calls is not None:
            calls.append(method)
        if method == "common.db.login":
            return httpx.Response(200, json={"id": 1, "result": [7, "session-token-xyz", None]})
        if method == "model.res.user.get_preferences":
            return httpx.Response(200, json={"id": 1, "result": {"company": 1}})
        return answer(request)

    return TrytonClient(SETTINGS, transport=httpx.MockTransport(handle))


def error_answer(*error: Any) -> Answer:
    return lambda request: httpx.Response(200, json={"id": 1, "error": list(error)})


async def failure(answer: Answer, *, writes: bool = False) -> ConnectorError:
    client = scripted(answer)
    try:
        with pytest.raises(ConnectorError) as raised:
            await client.execute("party.party", "write", [1], {"name": "x"}, writes=writes)
    finally:
        await client.aclose()
    return raised.value


async def test_rate_limit_is_throttled_with_retry_after() -> None:
    error = await failure(lambda request: httpx.Response(429, headers={"Retry-After": "7"}))
    assert isinstance(error, ThrottledError)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("status", "writes", "ambiguous"), [(503, False, False), (504, True, True)]
)
async def test_server_errors_are_retryable(status: int, writes: bool, ambiguous: bool) -> None:
    error = await failure(lambda request: httpx.Response(status), writes=writes)
    assert isinstance(error, RetryableError)
    assert error.ambiguous is ambiguous
    assert error.status == status


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


async def test_a_timeout_after_sending_a_write_is_ambiguous() -> None:
    write = await failure(read_timeout, writes=True)
    read = await failure(read_timeout, writes=False)
    assert isinstance(write, RetryableError)
    assert write.ambiguous
    assert isinstance(read, RetryableError)
    assert not read.ambiguous


async def test_a_refused_connection_is_retryable_and_never_ambiguous() -> None:
    error = await failure(refused, writes=True)
    assert isinstance(error, RetryableError)
    assert not error.ambiguous


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (["ConcurrencyException", "Records were modified in the meanwhile"], ConflictError),
        (["UserError", ["The code on party must be unique.", "", None]], ConflictError),
        (["UserError", ['You are not allowed to create records of "Sale".', "", None]], FatalError),
        (["UserError", ['A value is required for field "Name".', "", None]], InvalidRecordError),
        (["UserWarning", ["credit_limit", "Credit limit exceeded", ""]], InvalidRecordError),
        (["LoginException", ["password", "Password", "password"]], FatalError),
        (["database is locked", ""], RetryableError),
        (["could not convert string to float: 'x'", ""], InvalidRecordError),
    ],
)
async def test_tryton_error_answers_are_classified(
    error: list[Any], expected: type[ConnectorError]
) -> None:
    classified = await failure(error_answer(*error), writes=True)
    assert type(classified) is expected
    assert classified.object_name == "party.party"
    assert classified.system == "tryton"


async def test_forbidden_method_is_fatal() -> None:
    error = await failure(lambda request: httpx.Response(403))
    assert isinstance(error, FatalError)


async def test_a_session_refused_again_after_relogin_is_fatal_not_a_loop() -> None:
    calls: list[str] = []
    client = scripted(lambda request: httpx.Response(401), calls)
    try:
        with pytest.raises(FatalError) as raised:
            await client.execute("party.party", "search_count", [])
    finally:
        await client.aclose()
    assert calls.count("common.db.login") == 2
    assert calls.count("model.party.party.search_count") == 2
    assert "session-token-xyz" not in str(raised.value)
    assert "s3cret-Pw" not in repr(client)


async def test_requests_carry_the_session_and_preferences_context() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": 1, "result": 3})

    client = scripted(answer)
    try:
        assert await client.execute("party.party", "search_count", [], context={"x": 1}) == 3
    finally:
        await client.aclose()
    [request] = seen
    assert json.loads(request.content)["params"] == [[], {"company": 1, "x": 1}]
    assert request.url.path == "/db/rpc/"
    authorization = request.headers["Authorization"]
    assert authorization.startswith("Session ")


def test_typed_values_round_trip_in_trytons_json_form() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    payload = {"when": moment, "day": date(2026, 3, 4), "price": Decimal("12.50")}

    wire = json.loads(dumps(payload))

    assert wire["price"] == {"__class__": "Decimal", "decimal": "12.50"}
    assert wire["when"]["__class__"] == "datetime"
    assert wire["when"]["microsecond"] == 890
    assert loads(dumps(payload)) == payload


def test_a_read_only_field_is_an_invalid_record_not_a_fatal_stop() -> None:
    from causeway.connectors.errors import ErrorClass
    from causeway.connectors.tryton.client import classify

    error = classify(
        ["UserError", ['You are not allowed to modify the field "Code" in record "Acme".', ""]],
        system="tryton",
        object_name="party.party",
    )
    assert error.error_class is ErrorClass.INVALID
    assert error.field == "Code"
