"""S/4HANA OData v2 on the wire: basic auth, the CSRF token dance, `d.results` and `__next`.

A modifying request needs a CSRF token fetched with `x-csrf-token: Fetch` in the same
session (cookies). Tokens expire; a 403 that says `x-csrf-token: Required` means fetch a
new one and send the request once more.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from pydantic import BaseModel, Field, SecretStr

from causeway.connectors.errors import FatalError
from causeway.connectors.s4hana.errors import SYSTEM, classify
from causeway.connectors.transport import ServerClock, transport_failure

ODATA_ROOT = "/sap/opu/odata/sap"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
_STALE_CONNECTION = (httpx.ReadError, httpx.RemoteProtocolError)

class S4Settings(BaseModel):
    """Where and how to reach an S/4HANA system (or the ERP sandbox)."""

    base_url: str
    username: str
    password: SecretStr
    sap_client: str = "100"
    timeout_s: float = 30.0
    ca_bundle: Path | None = None
    page_size: int = Field(1000, ge=1, le=5000, description="$top per request")
    calls_per_second: float | None = Field(
        None,
        gt=0,
        description="pace every call (reads, token fetches and writes) to stay under the "
        "system's own limit, such as an API gateway's spike arrest; None sends at once",
    )
    burst: int = Field(1, ge=1, description="calls that may go out back to back under the pace")
    concurrency: int = Field(
        4, ge=1, le=64, description="writes of different records, or $batch calls, at once"
    )
    batch: bool = Field(
        True,
        description="write many records per call with OData $batch, one change set per record; "
        "false writes each record with its own calls (systems without $batch)",
    )
    batch_parts: int = Field(
        100, ge=1, le=1000, description="change sets (records) per $batch call at most"
    )


class S4Client:
    """An authenticated OData session with CSRF handling; safe to share between tasks."""

    def __init__(self, settings: S4Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        verify: ssl.SSLContext | bool = True
        if settings.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_bundle))
        self._http = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            auth=httpx.BasicAuth(settings.username, settings.password.get_secret_value()),
            timeout=settings.timeout_s,
            verify=verify,
            transport=transport,
        )
        self._csrf: dict[str, str] = {}
        self.clock = ServerClock()
        self._csrf_lock = asyncio.Lock()
        # Leaky bucket: `burst` calls per `burst / rate` seconds is `rate` calls per second
        # with at most `burst` back to back.
        self._pace = (
            AsyncLimiter(settings.burst, settings.burst / settings.calls_per_second)
            if settings.calls_per_second
            else None
        )

    def __repr__(self) -> str:
        return f"S4Client(base_url={self.settings.base_url!r}, user={self.settings.username!r})"

    async def _token(self, service: str, stale: str | None = None) -> str:
        async with self._csrf_lock:
            current = self._csrf.get(service)
            if current is None or current == stale:
                response = await self._send(
                    "GET",
                    f"{ODATA_ROOT}/{service}/",
                    headers={"x-csrf-token": "Fetch"},
                    params={"sap-client": self.settings.sap_client},
                )
                if response.status_code >= 300:
                    raise classify(response.status_code, _json(response), headers=response.headers)
                token = response.headers.get("x-csrf-token")
                if not token or token.lower() == "required":
                    raise FatalError("the service handed out no CSRF token", system=SYSTEM)
                self._csrf[service] = current = token
            return current

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        object_name: str | None = None,
        record_id: str | None = None,
        resend: bool | None = None,
    ) -> httpx.Response:
        """One call, paced; `resend` says whether a closed pooled connection may be retried
        (default: reads only)."""
        safe = method in _IDEMPOTENT_METHODS if resend is None else resend
        try:
            if self._pace is not None:
                await self._pace.acquire()
            try:
                response = await self._http.request(
                    method, url, headers=headers, json=json, content=content, params=params
                )
            except _STALE_CONNECTION:
                if not safe:
                    raise  # a write may have landed: the runtime decides, not a blind resend
                # A pooled connection the server or a gateway closed while idle: a read
                # is safe to send once more, on a fresh connection.
                response = await self._http.request(
                    method, url, headers=headers, json=json, content=content, params=params
                )
        except httpx.HTTPError as error:
            raise transport_failure(
                error,
                system=SYSTEM,
                write=method in _WRITE_METHODS and not safe,
                object_name=object_name,
                record_id=record_id,
            ) from None
        self.clock.observe(response)
        return response

    def server_now(self) -> datetime:
        """The system's "now": change stamps are compared with its clock, not ours."""
        return self.clock.now()

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        object_name: str | None = None,
        record_id: str | None = None,
    ) -> httpx.Response:
        """Call `service`; modifying calls carry a CSRF token, refreshed once on rejection."""
        method = method.upper()
        url = path if path.startswith("http") else f"{ODATA_ROOT}/{service}/{path.lstrip('/')}"
        if path.startswith("http"):
            # A `__next` link carries its whole query; any params would replace it in httpx.
            query = None
        else:
            query = {"sap-client": self.settings.sap_client, **(params or {})}
            if method == "GET":
                query["$format"] = "json"
        return await self._exchange(
            method,
            service,
            url,
            {"Accept": "application/json"},
            json=json,
            params=query,
            object_name=object_name,
            record_id=record_id,
        )

    async def batch(
        self, service: str, body: bytes, content_type: str, *, resend: bool = False
    ) -> httpx.Response:
        """POST a `$batch` body: one call, with the CSRF token like any write.

        A failure of the whole call raises its classified error; the parts of the 202 are
        the caller's to read. `resend` allows one resend on a closed pooled connection
        (for batches whose every part is idempotent).
        """
        return await self._exchange(
            "POST",
            service,
            f"{ODATA_ROOT}/{service}/$batch",
            {"Accept": "multipart/mixed", "Content-Type": content_type},
            content=body,
            params={"sap-client": self.settings.sap_client},
            resend=resend,
        )

    async def _exchange(
        self,
        method: str,
        service: str,
        url: str,
        headers: dict[str, str],
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        object_name: str | None = None,
        record_id: str | None = None,
        resend: bool | None = None,
    ) -> httpx.Response:
        token: str | None = None
        for attempt in (1, 2):
            if method in _WRITE_METHODS:
                token = await self._token(service, stale=token if attempt == 2 else None)
                headers["x-csrf-token"] = token
            response = await self._send(
                method,
                url,
                headers=headers,
                json=json,
                content=content,
                params=params,
                object_name=object_name,
                record_id=record_id,
                resend=resend,
            )
            csrf_refused = (
                response.status_code == 403
                and response.headers.get("x-csrf-token", "").lower() == "required"
            )
            if csrf_refused and attempt == 1:
                continue
            if response.status_code < 300:
                return response
            raise classify(
                response.status_code,
                _json(response),
                headers=response.headers,
                object_name=object_name,
                record_id=record_id,
                write=method in _WRITE_METHODS and not resend,
            )
        raise AssertionError("unreachable")

    async def pages(
        self,
        service: str,
        entity_set: str,
        params: dict[str, str],
        *,
        object_name: str | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield result pages of a collection, following the server's `__next` links."""
        response = await self.request(
            "GET", service, entity_set, params=params, object_name=object_name
        )
        while True:
            body = response.json().get("d", {})
            yield list(body.get("results", []))
            next_link = body.get("__next")
            if not next_link:
                return
            response = await self.request("GET", service, str(next_link), object_name=object_name)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]
