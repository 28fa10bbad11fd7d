"""Salesforce REST on the wire: OAuth2, requests with limit tracking, SOQL paging.

The client authenticates with the OAuth2 client-credentials or password grant, refreshes
the token once on `INVALID_SESSION_ID`, reads `Sforce-Limit-Info` on every answer, tags
its writes with `Sforce-Call-Options: client=<name>` (so change events of our own writes
can be recognised as echoes) and turns every failure into a classified error.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, SecretStr

from causeway.connectors.errors import FatalError, RetryableError, ThrottledError
from causeway.connectors.salesforce.errors import DAILY_LIMIT_BACKOFF_S, SYSTEM, classify
from causeway.connectors.transport import transport_failure

_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
COLLECTION_LIMIT = 200
"""Records per sObject Collections call, Salesforce's own limit."""


class SalesforceSettings(BaseModel):
    """Where and how to reach a Salesforce org (or the CRM sandbox)."""

    login_url: str = "https://login.salesforce.com"
    client_id: str
    client_secret: SecretStr
    grant: Literal["client_credentials", "password"] = "client_credentials"
    username: str | None = None
    password: SecretStr | None = None
    api_version: str = "60.0"
    ca_bundle: Path | None = Field(None, description="trust this CA (the sandbox certificate)")
    timeout_s: float = 30.0
    client_name: str = Field("causeway", description="sent as Sforce-Call-Options client")
    limit_reserve: float = Field(
        0.05, ge=0, lt=1, description="share of the daily API limit left untouched"
    )
    change_source: Literal["polling", "events"] = Field(
        "polling",
        description="how changes are read: SystemModstamp polling, or change events (Change "
        "Data Capture, as the CRM sandbox serves them) with polling as the fallback",
    )


@dataclass
class ApiUsage:
    """Daily API usage as the last `Sforce-Limit-Info` header reported it."""

    used: int = 0
    limit: int = 0

    @property
    def remaining(self) -> int:
        """Calls left today."""
        return max(self.limit - self.used, 0)


class SalesforceClient:
    """An authenticated session with one org; safe to share between tasks."""

    def __init__(
        self, settings: SalesforceSettings, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        verify: ssl.SSLContext | bool = True
        if settings.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_bundle))
        self._http = httpx.AsyncClient(
            timeout=settings.timeout_s, verify=verify, transport=transport
        )
        self._token: str | None = None
        self.instance_url: str | None = None
        self._auth_lock = asyncio.Lock()
        self.usage = ApiUsage()
        self._probed_at: float | None = None
        self.clock = time.monotonic

    def __repr__(self) -> str:
        login, instance = self.settings.login_url, self.instance_url
        return f"SalesforceClient(login_url={login!r}, instance={instance!r})"

    @property
    def data_path(self) -> str:
        """The versioned REST root, e.g. /services/data/v60.0."""
        return f"/services/data/v{self.settings.api_version}"

    async def authenticate(self) -> None:
        """Get a fresh access token and the instance URL."""
        settings = self.settings
        form = {
            "grant_type": settings.grant,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
        if settings.grant == "password":
            if settings.username is None or settings.password is None:
                raise FatalError("the password grant needs a username and password", system=SYSTEM)
            form["username"] = settings.username
            form["password"] = settings.password.get_secret_value()
        try:
            response = await self._http.post(
                f"{settings.login_url.rstrip('/')}/services/oauth2/token", data=form
            )
        except httpx.HTTPError as error:
            raise RetryableError(f"login failed: {type(error).__name__}", system=SYSTEM) from None
        if response.status_code != 200:
            body = _json(response)
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise FatalError(
                f"login refused: {detail or response.status_code}",
                system=SYSTEM,
                status=response.status_code,
                code=body.get("error") if isinstance(body, dict) else None,
            )
        payload = response.json()
        self._token = str(payload["access_token"])
        self.instance_url = str(payload["instance_url"]).rstrip("/")

    async def _ensure_token(self, stale: str | None = None) -> str:
        async with self._auth_lock:
            if self._token is None or self._token == stale:
                await self.authenticate()
            assert self._token is not None
            return self._token

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        object_name: str | None = None,
        record_id: str | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Call the REST API; statuses in `accept` are returned, other failures raised typed."""
        method = method.upper()
        write = method in _WRITE_METHODS
        self._guard_daily_limit(object_name)
        token = await self._ensure_token()
        for attempt in (1, 2):
            url = path if path.startswith("http") else f"{self.instance_url}{path}"
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Sforce-Call-Options": f"client={self.settings.client_name}",
            }
            try:
                response = await self._http.request(
                    method, url, json=json, params=params, headers=headers
                )
            except httpx.HTTPError as error:
                raise transport_failure(
                    error,
                    system=SYSTEM,
                    write=write,
                    object_name=object_name,
                    record_id=record_id,
                ) from None
            self._track_usage(response)
            if response.status_code == 401 and attempt == 1:
                token = await self._ensure_token(stale=token)
                continue
            if response.status_code < 300 or response.status_code in accept:
                return response
            raise classify(
                response.status_code,
                _json(response),
                object_name=object_name,
                record_id=record_id,
                retry_after=_retry_after(response),
                write=write,
            )
        raise AssertionError("unreachable")

    def _track_usage(self, response: httpx.Response) -> None:
        info = response.headers.get("Sforce-Limit-Info", "")
        for part in info.split(","):
            name, _, value = part.strip().partition("=")
            if name == "api-usage" and "/" in value:
                used, _, limit = value.partition("/")
                if used.isdigit() and limit.isdigit():
                    self.usage = ApiUsage(int(used), int(limit))

    def near_daily_limit(self) -> bool:
        """True once usage eats into the reserve we keep for people and other tools."""
        if self.usage.limit == 0:
            return False
        return self.usage.remaining <= self.usage.limit * self.settings.limit_reserve

    def _guard_daily_limit(self, object_name: str | None) -> None:
        """Refuse calls that would eat the reserve; one call per back-off period probes.

        The org's daily allowance is shared with its users and other integrations: once the
        last `Sforce-Limit-Info` says only the reserve is left, Causeway backs off (the
        runtime slows this target by the Retry-After) instead of spending it. The usage only
        updates with a response, so one call per back-off period still goes out to see
        whether the rolling 24-hour window has freed calls.
        """
        if not self.near_daily_limit():
            self._probed_at = None
            return
        now = self.clock()
        if self._probed_at is None or now - self._probed_at >= DAILY_LIMIT_BACKOFF_S:
            self._probed_at = now
            return
        usage = self.usage
        raise ThrottledError(
            f"daily API usage {usage.used}/{usage.limit}: the last "
            f"{self.settings.limit_reserve:.0%} is kept for people and other tools",
            retry_after=DAILY_LIMIT_BACKOFF_S - (now - self._probed_at),
            system=SYSTEM,
            object_name=object_name,
            code="RESERVE_KEPT",
        )

    async def query_pages(
        self, soql: str, *, include_deleted: bool = False, object_name: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Run a query and yield its record pages, following nextRecordsUrl to the end."""
        resource = "queryAll" if include_deleted else "query"
        response = await self.request(
            "GET", f"{self.data_path}/{resource}", params={"q": soql}, object_name=object_name
        )
        while True:
            body = response.json()
            yield [_without_attributes(record) for record in body.get("records", [])]
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            response = await self.request("GET", str(next_url), object_name=object_name)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def _without_attributes(record: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _without_attributes(value) if isinstance(value, dict) else value
        for name, value in record.items()
        if name != "attributes"
    }


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
