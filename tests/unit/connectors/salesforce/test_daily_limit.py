"""Sforce-Limit-Info is honoured: the reserve of the daily allowance is left to others."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.errors import ThrottledError
from causeway.connectors.salesforce.client import SalesforceClient, SalesforceSettings
from causeway.connectors.salesforce.errors import DAILY_LIMIT_BACKOFF_S

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Org:
    """Answers queries and reports the usage it is told to."""

    def __init__(self) -> None:
        self.used = 10
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(
                200, json={"access_token": "t", "instance_url": "https://org.example"}
            )
        self.calls += 1
        return httpx.Response(
            200,
            json={"totalSize": 0, "done": True, "records": []},
            headers={"Sforce-Limit-Info": f"api-usage={self.used}/100"},
        )


async def test_calls_stop_at_the_reserve_and_one_probe_per_back_off_goes_out() -> None:
    org = Org()
    settings = SalesforceSettings(
        login_url="https://login.example",
        client_id="c",
        client_secret=SecretStr("s"),
        limit_reserve=0.05,
    )
    client = SalesforceClient(settings, transport=httpx.MockTransport(org))
    now = [1000.0]
    client.clock = lambda: now[0]
    try:
        await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        org.used = 96  # the next answer reports only the reserve left
        await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        assert client.near_daily_limit()
        # The first call after noticing is the probe; then calls are refused locally.
        await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        calls = org.calls
        with pytest.raises(ThrottledError) as refused:
            await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        assert org.calls == calls
        assert refused.value.retry_after is not None
        assert 0 < refused.value.retry_after <= DAILY_LIMIT_BACKOFF_S
        assert "96/100" in str(refused.value)
        # A back-off period later, one probe goes out; the window has freed calls.
        now[0] += DAILY_LIMIT_BACKOFF_S
        org.used = 50
        await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        assert not client.near_daily_limit()
        await client.request("GET", f"{client.data_path}/query", params={"q": "x"})
        assert org.calls == calls + 2
    finally:
        await client.aclose()
