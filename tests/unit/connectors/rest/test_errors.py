"""Failure classification: statuses, the API's own codes, Retry-After and ambiguity."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from causeway.connectors.errors import ErrorClass, RetryableError
from causeway.connectors.rest.errors import ErrorBody, classify, retry_after
from tests.unit.connectors.rest.conftest import client_for

CONFIG = ErrorBody.model_validate(
    {
        "message_path": "error.text",
        "code_path": "error.code",
        "field_path": "error.field",
        "codes": {"DUPLICATE": "conflict", "SLOW_DOWN": "throttled", "LOCKED": "retryable"},
    }
)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "BAD", ErrorClass.INVALID),
        (422, None, ErrorClass.INVALID),
        (400, "DUPLICATE", ErrorClass.CONFLICT),
        (409, None, ErrorClass.CONFLICT),
        (412, None, ErrorClass.CONFLICT),
        (429, None, ErrorClass.THROTTLED),
        (403, "SLOW_DOWN", ErrorClass.THROTTLED),
        (423, "LOCKED", ErrorClass.RETRYABLE),
        (500, None, ErrorClass.RETRYABLE),
        (503, None, ErrorClass.RETRYABLE),
        (408, None, ErrorClass.RETRYABLE),
        (401, None, ErrorClass.FATAL),
        (403, None, ErrorClass.FATAL),
        (404, None, ErrorClass.FATAL),
        (405, None, ErrorClass.FATAL),
    ],
)
def test_status_and_code_decide_the_class(
    status: int, code: str | None, expected: ErrorClass
) -> None:
    body = {"error": {"text": "nope", "code": code}}
    assert classify(status, body, CONFIG, system="helpdesk").error_class is expected


def test_error_names_object_record_and_field_from_the_configured_paths() -> None:
    body = {"error": {"text": "subject is required", "code": "BAD", "field": "subject"}}
    error = classify(422, body, CONFIG, system="helpdesk", object_name="tickets", record_id="T-1")
    assert error.field == "subject"
    assert error.code == "BAD"
    assert str(error) == "helpdesk tickets T-1 field subject: subject is required [BAD]"


def test_common_keys_are_read_without_configuration() -> None:
    error = classify(400, [{"message": "bad date", "field": "due"}], ErrorBody(), system="s")
    assert (error.message, error.field) == ("bad date", "due")
    nested = classify(400, {"error": {"message": "m", "code": "C"}}, ErrorBody(), system="s")
    assert (nested.message, nested.code) == ("m", "C")
    plain = classify(502, "Bad Gateway", ErrorBody(), system="s", write=True)
    assert plain.message == "Bad Gateway"
    assert plain.ambiguous


def test_only_gateway_failures_of_writes_are_ambiguous() -> None:
    assert not classify(500, {}, ErrorBody(), system="s").ambiguous
    assert not classify(503, {}, ErrorBody(), system="s", write=True).ambiguous
    assert classify(504, {}, ErrorBody(), system="s", write=True).ambiguous


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    dated = httpx.Response(429, headers={"Retry-After": "Wed, 01 Jan 2025 12:00:30 GMT"})
    assert retry_after(dated, now) == 30.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("failure", "method", "ambiguous"),
    [
        (httpx.ReadTimeout("slow"), "POST", True),
        (httpx.ReadTimeout("slow"), "GET", False),
        (httpx.ConnectTimeout("no route"), "POST", False),
        (httpx.ConnectError("refused"), "PUT", False),
        (httpx.RemoteProtocolError("reset"), "PATCH", True),
    ],
)
async def test_transport_failures_are_retryable_and_ambiguous_only_after_sending(
    failure: httpx.HTTPError, method: str, ambiguous: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    rest = client_for(handler, {"items": {"path": "/items"}})
    try:
        with pytest.raises(RetryableError) as caught:
            await rest.request(method, "/items", object_name="items", record_id="7")
    finally:
        await rest.aclose()
    assert caught.value.ambiguous is ambiguous
    assert caught.value.record_id == "7"
