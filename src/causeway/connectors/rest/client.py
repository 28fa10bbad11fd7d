"""The wire side of a configured REST API: credentials, pacing, paging and classified failures.

Every request goes to the configured origin only: a pagination link pointing at another host
is refused, so credentials are never sent where the configuration did not say.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import httpx

from causeway.connectors.errors import FatalError
from causeway.connectors.rest.auth import Credentials, credentials_for
from causeway.connectors.rest.config import Resource, RestConfig
from causeway.connectors.rest.errors import body_of, classify, retry_after
from causeway.connectors.rest.paginators import PageRequest
from causeway.connectors.rest.selectors import contains, find
from causeway.connectors.transport import transport_failure

# Timeouts before anything was sent cannot have changed the target.


@dataclass(frozen=True)
class Page:
    """Records selected from one page of a listing, with the whole body for context."""

    records: list[Any]
    body: Any


class Pace:
    """Spaces request starts evenly to stay under a requests-per-second limit."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next request may start."""
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


class RestClient:
    """An authenticated HTTP session with one configured API; safe to share between tasks."""

    def __init__(
        self, config: RestConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.system = config.system
        self._config = config
        settings = config.client
        self.base_url = httpx.URL(settings.base_url)
        self._http = httpx.AsyncClient(
            timeout=settings.timeout_s, verify=settings.verify_tls, transport=transport
        )
        self._headers = {"Accept": "application/json"} | {
            name: value.get_secret_value() for name, value in settings.headers.items()
        }
        self.credentials: Credentials = credentials_for(
            settings.auth, self._http, system=self.system
        )
        self._pace = Pace(settings.rate_limit_per_s)

    def __repr__(self) -> str:
        return f"RestClient(system={self.system!r}, base_url={public_url(self.base_url)!r})"

    def resolve(self, target: str) -> httpx.URL:
        """A base-relative path or an absolute URL on the configured origin, as a URL."""
        if target.startswith("/"):
            return httpx.URL(str(self.base_url).rstrip("/") + target)
        url = httpx.URL(target)
        if (url.scheme, url.host, url.port) != (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        ):
            raise FatalError(
                f"refusing a link to another origin: {url.scheme}://{url.host}",
                system=self.system,
            )
        return url

    async def request(
        self,
        method: str,
        target: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        object_name: str | None = None,
        record_id: str | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request; statuses in `accept` are returned, other failures raised typed."""
        write = method != "GET"
        url = self.resolve(target)
        if params:
            # Merged explicitly: httpx replaces a URL's query with an empty params mapping.
            url = url.copy_merge_params(params)
        context: dict[str, Any] = {
            "system": self.system,
            "object_name": object_name,
            "record_id": record_id,
        }
        for attempt in (1, 2):
            request = self._http.build_request(method, url, json=json, headers=self._headers)
            await self.credentials.apply(request)
            await self._pace.wait()
            try:
                response = await self._http.send(request)
            except httpx.HTTPError as error:
                raise transport_failure(error, write=write, **context) from None
            if (
                response.status_code == 401
                and attempt == 1
                and await self.credentials.renew(request)
            ):
                continue
            if response.status_code < 300 or response.status_code in accept:
                return response
            raise classify(
                response.status_code,
                body_of(response),
                self._config.errors,
                retry_after_s=retry_after(response),
                write=write,
                **context,
            )
        raise AssertionError("unreachable")

    async def pages(
        self, resource: Resource, object_name: str, params: dict[str, str]
    ) -> AsyncGenerator[Page, None]:
        """Every page of a resource's listing, following its paginator to the end."""
        paginator = resource.paginator
        request: PageRequest | None = PageRequest(
            resource.path, paginator.first({**resource.params, **params})
        )
        for _ in range(self._config.client.max_pages):
            assert request is not None
            response = await self.request(
                "GET", request.url, params=request.params, object_name=object_name
            )
            body = self.json(response, object_name)
            records = self.select(body, resource.data_selector, object_name)
            yield Page(records, body)
            try:
                request = paginator.next(request, response, body, records)
            except (TypeError, ValueError) as error:
                raise FatalError(
                    f"cannot find the next page ({paginator.type}): {error}",
                    system=self.system,
                    object_name=object_name,
                ) from None
            if request is None:
                return
        raise FatalError(
            f"listing has more than {self._config.client.max_pages} pages; raise client.max_pages",
            system=self.system,
            object_name=object_name,
        )

    def json(self, response: httpx.Response, object_name: str | None) -> Any:
        """The JSON body of a successful response."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise FatalError(
                f"expected JSON, got {response.headers.get('Content-Type', 'no content type')}",
                system=self.system,
                object_name=object_name,
                status=response.status_code,
            ) from None

    def select(self, body: Any, selector: str | None, object_name: str | None) -> list[Any]:
        """The records a data selector points at: a list, or one object as a list of one."""
        if selector is not None and not contains(body, selector):
            raise FatalError(
                f"the response has nothing at data selector {selector!r}",
                system=self.system,
                object_name=object_name,
            )
        found = find(body, selector)
        if found is None:
            return []
        if isinstance(found, list):
            return found
        if isinstance(found, dict):
            return [found]
        raise FatalError(
            "the data selector points at neither a list nor an object; set data_selector",
            system=self.system,
            object_name=object_name,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()


def public_url(url: httpx.URL) -> str:
    """A URL without user information or query, safe for reprs and messages."""
    return str(url.copy_with(username=None, password=None, query=None))
