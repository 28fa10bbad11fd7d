"""Change detection for Tryton: polling on (last modification, id) behind a settle interval.

Every Tryton record carries `create_date` and `write_date`; the searchable, sortable
`last_modified_at` is their coalesce on the server, so one domain and one order express the
compound watermark. Records share a timestamp whenever one transaction writes several (a
batch create), hence the id tie-break; transactions are stamped at their start, hence the
settle interval measured on the server's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from causeway.connectors.contract import ChangePage, RawRecord
from causeway.connectors.errors import FatalError
from causeway.connectors.tryton.client import TrytonClient
from causeway.connectors.watermark import Watermark, settled_until

MODIFIED = "last_modified_at"
ORDER = [[MODIFIED, "ASC"], ["id", "ASC"]]
_ID_WIDTH = 20


def cursor_id(record_id: int) -> str:
    """Ids in the cursor are zero-padded so the watermark's string order is numeric order."""
    return str(record_id).zfill(_ID_WIDTH)


def changes_domain(after: Watermark | None, until: datetime) -> list[Any]:
    """Records modified after the watermark pair and no later than `until`."""
    domain: list[Any] = [[MODIFIED, "<=", until]]
    if after is not None:
        last_id = int(after.last_id)
        domain.append(
            [
                "OR",
                [MODIFIED, ">", after.modified_at],
                [[MODIFIED, "=", after.modified_at], ["id", ">", last_id]],
            ]
        )
    return domain


def modified_at(values: dict[str, Any]) -> datetime | None:
    """When the record last changed: its write date, or its creation for untouched ones."""
    moment = values.get("write_date") or values.get("create_date")
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def to_record(system: str, object_name: str, values: dict[str, Any]) -> RawRecord:
    """A raw record from one row of `read` or `search_read`."""
    return RawRecord(
        system=system,
        object_name=object_name,
        id=str(values["id"]),
        fields=values,
        modified_at=modified_at(values),
    )


async def poll(
    client: TrytonClient,
    object_name: str,
    fields: list[str],
    cursor: str | None,
    limit: int,
    settle: timedelta,
) -> ChangePage:
    """One page of records changed after `cursor`, oldest first, settled on the server."""
    try:
        after = Watermark.decode(cursor)
        if after is not None:
            int(after.last_id)
    except ValueError as error:
        raise FatalError(
            f"not a Tryton change cursor: {error}", system=client.system, object_name=object_name
        ) from None
    until = settled_until(client.server_now(), settle)
    rows = await client.execute(
        object_name, "search_read", changes_domain(after, until), 0, limit, ORDER, fields
    )
    records = [to_record(client.system, object_name, row) for row in rows]
    watermark = after
    if records and (last := records[-1]).modified_at is not None:
        watermark = Watermark(last.modified_at, cursor_id(int(last.id)))
    return ChangePage(
        records=records,
        cursor=watermark.encode() if watermark else "",
        more=len(records) >= limit,
    )
