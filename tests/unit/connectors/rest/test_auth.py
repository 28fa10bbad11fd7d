"""Each authentication strategy, as the API sees it."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from causeway.connectors.errors import FatalError
from causeway.connectors.rest.auth import OAuth2ClientCredentials, OAuth2ClientCredentialsAuth
from tests.unit.connectors.rest.conftest import client_for

pytestmark = pytest.mark.anyio

RESOURCES = {"items": {"path": "/items"}}


async def seen_request(auth: dict[str, Any]) -> httpx.Request:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json=[])

    rest = client_for(handler, RESOURCES, auth=auth)
    try:
        await rest.request("GET", "/items", params={"q": "1"})
    finally:
        await rest.aclose()
    return captured[0]


async def test_bearer() -> None:
    request = await seen_request({"type": "bearer", "token": "tok"})
    assert request.headers["Authorization"] == "Bearer tok"


async def test_api_key_in_a_header() -> None:
    request = await seen_request({"type": "api_key", "name": "X-Key", "api_key": "k1"})
    assert request.headers["X-Key"] == "k1"
    assert "Authorization" not in request.headers


async def test_api_key_in_the_query() -> None:
    request = await seen_request(
        {"type": "api_key", "name": "apikey", "api_key": "k 1", "location": "query"}
    )
    assert request.url.params["apikey"] == "k 1"
    assert request.url.params["q"] == "1"


async def test_http_basic() -> None:
    request = await seen_request({"type": "http_basic", "username": "ann", "password": "pä:ss"})
    expected = base64.b64encode("ann:pä:ss".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


class TokenServer:
    """A token endpoint and an API that accepts only the newest token."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.issued = 0
        self.expires_in = expires_in
        self.forms: list[str] = []
        self.revoked: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.forms.append(request.content.decode())
            self.issued += 1
            return httpx.Response(
                200, json={"access_token": f"t{self.issued}", "expires_in": self.expires_in}
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self.revoked or not token:
            return httpx.Response(401, json={"message": "expired token"})
        return httpx.Response(200, json={"token": token})


OAUTH = {
    "type": "oauth2_client_credentials",
    "token_url": "https://login.example.test/oauth/token",
    "client_id": "cid",
    "client_secret": "csecret",
    "scope": "tickets",
}


async def test_oauth2_token_is_cached_then_refreshed_once_on_401() -> None:
    server = TokenServer()
    rest = client_for(server, RESOURCES, auth=OAUTH)
    try:
        first = await rest.request("GET", "/items")
        second = await rest.request("GET", "/items")
        assert first.json() == second.json() == {"token": "t1"}
        assert server.issued == 1
        assert "client_secret=csecret" in server.forms[0]
        assert "scope=tickets" in server.forms[0]
        server.revoked.add("t1")
        third = await rest.request("GET", "/items")
        assert third.json() == {"token": "t2"}
        assert server.issued == 2
    finally:
        await rest.aclose()


async def test_oauth2_gives_up_after_one_renewal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(401, json={"message": "no access"})

    rest = client_for(handler, RESOURCES, auth=OAUTH)
    try:
        with pytest.raises(FatalError, match="no access"):
            await rest.request("GET", "/items")
    finally:
        await rest.aclose()


async def test_oauth2_token_expires_on_the_clock() -> None:
    server = TokenServer(expires_in=60)
    now = [0.0]
    config = OAuth2ClientCredentialsAuth.model_validate({**OAUTH, "refresh_margin_s": 10})
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        credentials = OAuth2ClientCredentials(config, http, system="helpdesk", clock=lambda: now[0])
        request = httpx.Request("GET", "https://api.example.test/items")
        await credentials.apply(request)
        now[0] = 49.0
        await credentials.apply(request)
        assert server.issued == 1
        now[0] = 50.0
        await credentials.apply(request)
        assert server.issued == 2
        assert request.headers["Authorization"] == "Bearer t2"
        assert "csecret" not in repr(credentials)


async def test_refused_token_request_is_fatal_and_keeps_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "error_description": "bad"})

    rest = client_for(handler, RESOURCES, auth={**OAUTH, "client_auth": "basic"})
    try:
        with pytest.raises(FatalError) as caught:
            await rest.request("GET", "/items")
    finally:
        await rest.aclose()
    assert caught.value.code == "invalid_client"
    assert "csecret" not in str(caught.value)
