"""Change polling against a mock API: time formats, settle, and the early stop of sorted lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from causeway.connectors.errors import FatalError
from causeway.connectors.rest.changes import cursor_id, format_time, parse_time
from tests.unit.connectors.rest.conftest import connector_for

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def test_times_parse_and_format_in_each_format() -> None:
    assert parse_time("2024-05-01T09:00:00Z", "iso8601") == T0
    assert parse_time("2024-05-01T09:00:00", "iso8601") == T0
    assert parse_time(1714554000123, "epoch_ms") == T0 + timedelta(milliseconds=123)
    assert parse_time("1714554000", "epoch_s") == T0
    assert parse_time(None, "iso8601") is None
    assert parse_time("soon", "iso8601") is None
    assert format_time(T0 + timedelta(microseconds=999), "epoch_ms") == "1714554000000"
    assert format_time(T0, "epoch_s") == "1714554000"
    assert format_time(T0, "iso8601") == "2024-05-01T09:00:00Z"
    assert cursor_id("9") < cursor_id("10")


@pytest.mark.anyio
async def test_sorted_listing_stops_reading_once_the_oldest_are_certain() -> None:
    rows = [{"id": n, "at": (T0 + timedelta(minutes=n // 2)).isoformat()} for n in range(1, 21)]
    offsets: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        offsets.append(offset)
        since = request.url.params.get("since")
        listed = [r for r in rows if since is None or r["at"] >= since.replace("Z", "+00:00")]
        return httpx.Response(200, json=listed[offset : offset + 3])

    resource = {
        "path": "/items",
        "paginator": {"type": "offset", "limit": 3},
        "incremental": {"cursor_path": "at", "param": "since", "sorted": True, "settle_s": 0},
    }
    connector = connector_for(handler, {"items": resource})
    connector._clock = lambda: T0 + timedelta(days=1)
    try:
        page = await connector.changes("items", None, 4)
        assert [r.id for r in page.records] == ["1", "2", "3", "4"]
        assert page.more
        assert offsets == [0, 3]  # ids 1-6 read; 6 is newer than 4, so 1-4 are certain
        seen = [r.id for r in page.records]
        cursor: str | None = page.cursor
        while page.more:
            page = await connector.changes("items", cursor, 4)
            seen += [r.id for r in page.records]
            cursor = page.cursor
        assert seen == [str(n) for n in range(1, 21)]
    finally:
        await connector.aclose()


@pytest.mark.anyio
async def test_record_without_a_readable_time_is_reported_with_its_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 5, "updated": "yesterday"}])

    resource = {"path": "/items", "incremental": {"cursor_path": "updated"}}
    connector = connector_for(handler, {"items": resource})
    try:
        with pytest.raises(FatalError) as caught:
            await connector.changes("items", None, 10)
    finally:
        await connector.aclose()
    assert (caught.value.record_id, caught.value.field) == ("5", "updated")
    with pytest.raises(FatalError, match="not a watermark cursor"):
        await connector.changes("items", "garbage", 10)
