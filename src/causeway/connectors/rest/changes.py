"""Change polling for a configured resource: a compound (time, id) watermark kept client-side.

The API is asked for records modified at or after the watermark's time (its filter is
inclusive, so records sharing that time come back). The connector orders what it receives by
(time, id), drops what is not strictly after the watermark and what is younger than the
settle interval, and hands out the oldest `limit`. Records sharing one timestamp are thus
neither skipped nor repeated, whatever order the API lists them in.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from causeway.connectors.contract import ChangePage, RawRecord
from causeway.connectors.errors import FatalError
from causeway.connectors.rest.client import RestClient
from causeway.connectors.rest.config import Incremental, Resource
from causeway.connectors.rest.selectors import find
from causeway.connectors.watermark import Watermark, settled_until

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ID_WIDTH = 20
_Key = tuple[datetime, str]


def cursor_id(record_id: str) -> str:
    """Numeric ids are zero-padded so the watermark's string order is their numeric order."""
    return record_id.zfill(_ID_WIDTH) if record_id.isdigit() else record_id


def parse_time(value: Any, time_format: str) -> datetime | None:
    """A record's cursor value as an aware datetime; None when absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if time_format == "iso8601":
            if not isinstance(value, str):
                return None
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        number = int(value) if isinstance(value, int) or str(value).isdigit() else float(value)
    except (TypeError, ValueError):
        return None
    if time_format == "epoch_ms":
        return EPOCH + timedelta(milliseconds=number)
    return EPOCH + timedelta(seconds=number)


def format_time(moment: datetime, time_format: str) -> str:
    """A time as the API's query parameter expects it, rounded down (the filter is >=)."""
    moment = moment.astimezone(UTC)
    if time_format == "epoch_ms":
        return str((moment - EPOCH) // timedelta(milliseconds=1))
    if time_format == "epoch_s":
        return str((moment - EPOCH) // timedelta(seconds=1))
    return moment.isoformat().replace("+00:00", "Z")


def to_record(
    system: str, object_name: str, resource: Resource, item: Any, *, strict: bool = True
) -> RawRecord:
    """A raw record from one item of a listing; strict polling insists on a cursor value."""
    if not isinstance(item, dict):
        raise FatalError("a record is not a JSON object", system=system, object_name=object_name)
    record_id = find(item, resource.id_path)
    if record_id is None or record_id == "":
        raise FatalError(
            "a record has no id", system=system, object_name=object_name, field=resource.id_path
        )
    incremental = resource.incremental
    modified_at = None
    if incremental is not None:
        modified_at = parse_time(find(item, incremental.cursor_path), incremental.format)
        if modified_at is None and strict:
            raise FatalError(
                f"no readable {incremental.format} time",
                system=system,
                object_name=object_name,
                record_id=str(record_id),
                field=incremental.cursor_path,
            )
    deleted = bool(find(item, resource.deleted_path)) if resource.deleted_path else False
    return RawRecord(
        system=system,
        object_name=object_name,
        id=str(record_id),
        fields=item,
        modified_at=modified_at,
        deleted=deleted,
    )


def query(incremental: Incremental, after: Watermark | None, horizon: datetime) -> dict[str, str]:
    """The filter parameters of one poll."""
    params: dict[str, str] = {}
    if incremental.param is not None and after is not None:
        since = after.modified_at - timedelta(seconds=incremental.lookback_s)
        params[incremental.param] = format_time(since, incremental.format)
    if incremental.end_param is not None:
        params[incremental.end_param] = format_time(horizon, incremental.format)
    return params


async def poll(
    client: RestClient,
    object_name: str,
    resource: Resource,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> ChangePage:
    """The oldest `limit` records after the watermark in `cursor`, and the cursor after them."""
    incremental = resource.incremental
    system = client.system
    if incremental is None:
        raise FatalError(
            "the resource has no incremental cursor to poll", system=system, object_name=object_name
        )
    try:
        after = Watermark.decode(cursor)
    except ValueError as error:
        raise FatalError(str(error), system=system, object_name=object_name) from None
    horizon = settled_until(now, timedelta(seconds=incremental.settle_s))
    eligible: dict[str, tuple[_Key, RawRecord]] = {}
    newest_seen: datetime | None = None
    complete = True
    listing = client.pages(resource, object_name, query(incremental, after, horizon))
    async with contextlib.aclosing(listing):
        async for page in listing:
            for item in page.records:
                record = to_record(system, object_name, resource, item)
                assert record.modified_at is not None
                if newest_seen is None or record.modified_at > newest_seen:
                    newest_seen = record.modified_at
                key = (record.modified_at, cursor_id(record.id))
                if record.modified_at > horizon or (after is not None and not after.precedes(*key)):
                    continue
                known = eligible.get(record.id)
                # A record changed while the listing was read may show twice: keep the newer.
                if known is None or known[0] < key:
                    eligible[record.id] = (key, record)
            if incremental.sorted and _enough(eligible, limit, newest_seen):
                complete = False
                break
    ordered = sorted(eligible.values(), key=lambda pair: pair[0])
    chosen = ordered[:limit]
    watermark = after
    if chosen:
        last_key = chosen[-1][0]
        watermark = Watermark(last_key[0], last_key[1])
    return ChangePage(
        records=[record for _, record in chosen],
        cursor=watermark.encode() if watermark else "",
        more=len(ordered) > limit or not complete,
    )


def _enough(
    eligible: dict[str, tuple[_Key, RawRecord]], limit: int, newest_seen: datetime | None
) -> bool:
    """In an ascending listing, true once the oldest `limit` records can no longer change."""
    if len(eligible) <= limit or newest_seen is None:
        return False
    boundary = sorted(key for key, _ in eligible.values())[limit - 1][0]
    # Unseen records are at least as new as the newest seen: all up to the boundary are here.
    return boundary < newest_seen
