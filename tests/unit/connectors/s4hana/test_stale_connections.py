"""A pooled connection closed while idle costs a read nothing, and a write is never resent."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.errors import RetryableError
from causeway.connectors.s4hana.client import S4Client, S4Settings

SETTINGS = S4Settings(base_url="http://erp", username="U", password=SecretStr("p"))


class ClosedOnce:
    """A transport whose first request of each method finds its connection closed."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error
        self.sent: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.method)
        if request.headers.get("x-csrf-token") == "Fetch":
            return httpx.Response(200, headers={"x-csrf-token": "t"})
        if self.sent.count(request.method) == 1:
            raise self.error("connection closed by peer", request=request)
        return httpx.Response(200, json={"d": {"BusinessPartner": "7"}})


@pytest.mark.parametrize("error", [httpx.ReadError, httpx.RemoteProtocolError])
def test_a_read_on_a_closed_connection_is_sent_once_more(
    error: type[httpx.TransportError],
) -> None:
    transport = ClosedOnce(error)
    client = S4Client(SETTINGS, transport=httpx.MockTransport(transport))

    response = asyncio.run(
        client.request("GET", "API_BUSINESS_PARTNER", "A_BusinessPartner('7')")
    )

    assert response.json()["d"]["BusinessPartner"] == "7"
    assert transport.sent == ["GET", "GET"]


def test_a_write_on_a_closed_connection_is_not_resent() -> None:
    transport = ClosedOnce(httpx.ReadError)
    client = S4Client(SETTINGS, transport=httpx.MockTransport(transport))

    with pytest.raises(RetryableError):
        asyncio.run(
            client.request(
                "PATCH", "API_BUSINESS_PARTNER", "A_BusinessPartner('7')", json={"a": 1}
            )
        )

    assert transport.sent.count("PATCH") == 1
