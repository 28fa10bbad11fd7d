"""Each paging style, driven through the client against a mock API of seven records."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from causeway.connectors.errors import FatalError
from tests.unit.connectors.rest.conftest import BASE, client_for

pytestmark = pytest.mark.anyio

ITEMS = [{"id": n} for n in range(1, 8)]


async def ids(handler: Any, resource: dict[str, Any], **client: Any) -> list[int]:
    rest = client_for(handler, {"items": resource}, **client)
    found: list[int] = []
    try:
        async for page in rest.pages(rest_resource(rest), "items", {}):
            found += [item["id"] for item in page.records]
    finally:
        await rest.aclose()
    return found


def rest_resource(rest: Any) -> Any:
    return rest._config.resources["items"]


def window(request: httpx.Request, size: int = 3) -> tuple[int, list[dict[str, int]]]:
    start = int(request.url.params.get("offset", "0"))
    return start, ITEMS[start : start + size]


async def test_json_link_follows_relative_links() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start, chunk = window(request)
        nxt = f"items?offset={start + 3}" if start + 3 < len(ITEMS) else None
        return httpx.Response(200, json={"data": chunk, "links": {"next": nxt}})

    resource = {
        "path": "/items",
        "data_selector": "data",
        "paginator": {"type": "json_link", "next_url_path": "links.next"},
    }
    assert await ids(handler, resource) == list(range(1, 8))


async def test_json_link_to_another_origin_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": ITEMS[:1], "next": "https://evil.test/steal"})

    resource = {
        "path": "/items",
        "data_selector": "data",
        "paginator": {"type": "json_link", "next_url_path": "next"},
    }
    with pytest.raises(FatalError, match="another origin"):
        await ids(handler, resource)


async def test_header_link_follows_rel_next() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start, chunk = window(request)
        headers = {}
        if start + 3 < len(ITEMS):
            url = f"{BASE}/items?offset={start + 3}"
            headers["Link"] = f'<{url}>; rel="next", <{BASE}/items>; rel="first"'
        return httpx.Response(200, json=chunk, headers=headers)

    assert await ids(handler, {"path": "/items", "paginator": {"type": "header_link"}}) == list(
        range(1, 8)
    )


async def test_cursor_is_sent_back_until_absent() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("after")
        seen.append(cursor)
        start = int(cursor or 0)
        chunk = ITEMS[start : start + 3]
        nxt = str(start + 3) if start + 3 < len(ITEMS) else None
        return httpx.Response(200, json={"items": chunk, "meta": {"next_cursor": nxt}})

    resource = {
        "path": "/items",
        "data_selector": "items",
        "params": {"status": "open"},
        "paginator": {"type": "cursor", "cursor_path": "meta.next_cursor", "cursor_param": "after"},
    }
    assert await ids(handler, resource) == list(range(1, 8))
    assert seen == [None, "3", "6"]


async def test_offset_stops_on_a_short_page() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url.query, "ascii"))
        start = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        return httpx.Response(200, json=ITEMS[start : start + limit])

    resource = {"path": "/items", "paginator": {"type": "offset", "limit": 3}}
    assert await ids(handler, resource) == list(range(1, 8))
    assert calls == ["offset=0&limit=3", "offset=3&limit=3", "offset=6&limit=3"]


async def test_offset_with_total_survives_a_server_capping_the_page_size() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["offset"])
        return httpx.Response(200, json={"rows": ITEMS[start : start + 2], "total": len(ITEMS)})

    resource = {
        "path": "/items",
        "data_selector": "rows",
        "paginator": {"type": "offset", "limit": 5, "total_path": "total"},
    }
    assert await ids(handler, resource) == list(range(1, 8))


async def test_page_number_stops_at_total_pages() -> None:
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["p"])
        pages.append(request.url.params["p"])
        chunk = ITEMS[page * 3 : page * 3 + 3]
        return httpx.Response(200, json={"results": chunk, "pages": 3})

    resource = {
        "path": "/items",
        "data_selector": "results",
        "paginator": {
            "type": "page_number",
            "page_param": "p",
            "base_page": 0,
            "total_path": "pages",
        },
    }
    assert await ids(handler, resource) == list(range(1, 8))
    assert pages == ["0", "1", "2"]


async def test_page_number_stops_on_an_empty_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=ITEMS[(page - 1) * 4 : page * 4] if page < 3 else [])

    resource = {
        "path": "/items",
        "paginator": {"type": "page_number"},
    }
    assert await ids(handler, resource) == list(range(1, 8))


async def test_single_page_and_max_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": ITEMS, "next": "items"})

    assert await ids(handler, {"path": "/items", "data_selector": "data"}) == list(range(1, 8))
    looping = {
        "path": "/items",
        "data_selector": "data",
        "paginator": {"type": "json_link", "next_url_path": "next"},
    }
    with pytest.raises(FatalError, match="more than 3 pages"):
        await ids(handler, looping, max_pages=3)


async def test_missing_data_selector_is_a_configuration_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": ITEMS})

    with pytest.raises(FatalError, match="nothing at data selector 'data'"):
        await ids(handler, {"path": "/items", "data_selector": "data"})
