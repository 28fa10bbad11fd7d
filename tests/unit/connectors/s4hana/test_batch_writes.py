"""Batched writes against a scripted S/4HANA: fallback, resends, answers that do not fit."""

from __future__ import annotations

import asyncio
import email.parser
from collections.abc import Callable
from email.message import Message

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from causeway.connectors.s4hana.batch_writes import waves
from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.connector import S4Connector

SETTINGS = S4Settings(base_url="http://erp", username="U", password=SecretStr("p"))


def update(system_id: str, name: str) -> WriteRequest:
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPDATE,
        key=WriteKey(system_id=system_id),
        fields={"OrganizationBPName1": name},
        idempotency_key=f"{system_id}:{name}",
    )


def create(reference: str) -> WriteRequest:
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=reference),
        fields={"OrganizationBPName1": reference},
        idempotency_key=reference,
    )


def change_sets(request: httpx.Request) -> list[Message]:
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode() + request.content
    )
    parts = message.get_payload()
    assert isinstance(parts, list)
    return [part for part in parts if isinstance(part, Message)]


def answer(parts: list[str]) -> httpx.Response:
    body = "".join(f"--b\r\n{part}\r\n" for part in parts) + "--b--\r\n"
    return httpx.Response(
        202, content=body.encode(), headers={"Content-Type": "multipart/mixed; boundary=b"}
    )


def no_content() -> str:
    inner = "--cs\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n"
    return f"Content-Type: multipart/mixed; boundary=cs\r\n\r\n{inner}--cs--"


class Erp:
    """Answers token fetches and lookups; `on_batch` answers each $batch."""

    def __init__(self, on_batch: Callable[[httpx.Request, int], httpx.Response]) -> None:
        self.on_batch = on_batch
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path.rsplit('/', 1)[-1]}")
        if request.headers.get("x-csrf-token") == "Fetch":
            return httpx.Response(200, headers={"x-csrf-token": "t"})
        if request.url.path.endswith("$batch"):
            return self.on_batch(request, self.calls.count("POST $batch"))
        if request.method == "GET":
            return httpx.Response(200, json={"d": {"results": []}})
        return httpx.Response(201, json={"d": {"BusinessPartner": "900"}})


def connector(erp: Erp, **settings: object) -> S4Connector:
    client = S4Client(SETTINGS.model_copy(update=settings), transport=httpx.MockTransport(erp))
    return S4Connector(SETTINGS, client=client)


def test_a_system_without_batch_gets_each_record_on_its_own() -> None:
    erp = Erp(lambda request, n: httpx.Response(501, json={"error": {"code": "NI"}}))
    s4 = connector(erp)
    first = asyncio.run(s4.write([create("A"), create("B")]))
    second = asyncio.run(s4.write([create("C")]))
    assert all(result.ok and result.created for result in first + second)
    assert erp.calls.count("POST $batch") == 1  # asked once, then never again
    assert erp.calls.count("POST A_BusinessPartner") == 3


def test_batches_refused_side_by_side_all_fall_back() -> None:
    erp = Erp(lambda request, n: httpx.Response(501, json={"error": {"code": "NI"}}))
    results = asyncio.run(connector(erp, batch_parts=1).write([create(r) for r in "ABCD"]))
    assert all(result.ok and result.created for result in results), [r.error for r in results]
    assert erp.calls.count("POST A_BusinessPartner") == 4


def test_a_batch_of_updates_is_resent_on_a_closed_connection() -> None:
    def closed_once(request: httpx.Request, n: int) -> httpx.Response:
        if n == 1:
            raise httpx.RemoteProtocolError("connection closed by peer", request=request)
        return answer([no_content() for _ in change_sets(request)])

    erp = Erp(closed_once)
    results = asyncio.run(connector(erp).write([update("1", "a"), update("2", "b")]))
    assert all(result.ok for result in results), [r.error for r in results]
    assert erp.calls.count("POST $batch") == 2


def test_a_batch_with_a_create_is_not_resent_and_its_outcome_is_ambiguous() -> None:
    def closed(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.RemoteProtocolError("connection closed by peer", request=request)

    erp = Erp(closed)
    results = asyncio.run(connector(erp).write([update("1", "a"), create("N")]))
    assert erp.calls.count("POST $batch") == 1
    for result, record in zip(results, ["1", "SearchTerm2=N"], strict=True):
        assert result.error is not None
        assert result.error.error_class is ErrorClass.RETRYABLE
        assert result.error.ambiguous
        assert result.error.record_id == record


def test_an_answer_missing_parts_fails_every_record_as_ambiguous() -> None:
    erp = Erp(lambda request, n: answer([no_content()]))
    results = asyncio.run(connector(erp).write([update("1", "a"), create("N")]))
    assert all(r.error is not None and r.error.ambiguous for r in results)
    assert "could not be read" in str(results[0].error)


def test_a_throttled_batch_throttles_each_record_with_the_wait() -> None:
    erp = Erp(
        lambda request, n: httpx.Response(
            429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "7"}
        )
    )
    results = asyncio.run(connector(erp).write([update("1", "a"), update("2", "b")]))
    for result, record in zip(results, ["1", "2"], strict=True):
        assert result.error is not None
        assert result.error.error_class is ErrorClass.THROTTLED
        assert (result.error.retry_after, result.error.record_id) == (7.0, record)


@pytest.mark.parametrize("parts", [1, 3])
def test_records_are_split_into_batches_of_at_most_batch_parts(parts: int) -> None:
    seen: list[int] = []

    def count(request: httpx.Request, n: int) -> httpx.Response:
        sets = change_sets(request)
        seen.append(len(sets))
        return answer([no_content() for _ in sets])

    erp = Erp(count)
    results = asyncio.run(
        connector(erp, batch_parts=parts).write([update(str(n), "x") for n in range(5)])
    )
    assert all(result.ok for result in results)
    assert sorted(seen, reverse=True) == [parts] * (5 // parts) + ([5 % parts] if 5 % parts else [])


def test_writes_of_one_record_go_in_successive_waves() -> None:
    requests = [update("1", "a"), update("2", "a"), update("1", "b"), update("1", "c")]
    assert waves(requests) == [[0, 1], [2], [3]]
    erp = Erp(lambda request, n: answer([no_content() for _ in change_sets(request)]))
    asyncio.run(connector(erp).write(requests))
    assert erp.calls.count("POST $batch") == 3
