"""Query results and server-side cursors: pages of records and nextRecordsUrl.

Like a real org, the first call returns one batch and a query locator; each later call
returns the next batch of the same ordered result, until `done`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.ids import QUERY_LOCATOR_PREFIX, checksum
from causeway.sandbox.crm.query import Column, Lookup, Plan, Record

MIN_BATCH, MAX_BATCH = 200, 2000
_TTL_S = 15 * 60


def sobject_url(version: str, sobject: str, record_id: str) -> str:
    """The REST URL of a record, as the `attributes.url` of every record."""
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def project(plan: Plan, record: Record, lookup: Lookup, version: str) -> dict[str, Any]:
    """One result row: selected fields with parents nested as Salesforce nests them."""
    row: dict[str, Any] = {"attributes": {"type": plan.sobject.name,
                                          "url": sobject_url(version, plan.sobject.name,
                                                             record["Id"])}}
    for column in plan.columns:
        _place(row, column, record, lookup, version)
    return row


def _place(row: dict[str, Any], column: Column, record: Record, lookup: Lookup,
           version: str) -> None:
    target: dict[str, Any] = row
    current: Record | None = record
    for (name, reference), parent_def in zip(column.hops, column.targets, strict=True):
        parent_id = current.get(reference.name) if current else None
        current = lookup(parent_id) if parent_id else None
        if current is None:
            target.setdefault(name, None)
            return
        nested = target.get(name)
        if nested is None:
            nested = {"attributes": {"type": parent_def.name,
                                     "url": sobject_url(version, parent_def.name,
                                                        current["Id"])}}
            target[name] = nested
        target = nested
    target[column.field.name] = current.get(column.field.name) if current else None


def batch_size(header: str | None, default: int) -> int:
    """The page size: `Sforce-Query-Options: batchSize=n` clamped to 200..2000."""
    size = default
    for option in (header or "").split(","):
        name, _, value = option.strip().partition("=")
        if name.strip().lower() == "batchsize" and value.strip().isdigit():
            size = int(value)
    return max(MIN_BATCH, min(MAX_BATCH, size))


@dataclass
class Cursor:
    """An ordered result being read page by page."""

    plan: Plan
    ids: list[str]
    size: int
    touched: float = field(default_factory=time.monotonic)


class Cursors:
    """Open query locators, least recently used first; old ones expire."""

    def __init__(self, capacity: int = 100, clock: Callable[[], float] = time.monotonic) -> None:
        self._open: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity
        self._clock = clock

    def open(self, cursor: Cursor) -> str:
        """Keep `cursor` and return its locator id (01g...)."""
        body = QUERY_LOCATOR_PREFIX + secrets.token_urlsafe(12).replace("-", "x").replace(
            "_", "y")[:12]
        locator = body + checksum(body)
        with self._lock:
            cursor.touched = self._clock()
            self._open[locator] = cursor
            while len(self._open) > self.capacity:
                self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> Cursor:
        """The cursor behind `locator`, or INVALID_QUERY_LOCATOR."""
        with self._lock:
            cursor = self._open.get(locator)
            if cursor is None or self._clock() - cursor.touched > _TTL_S:
                self._open.pop(locator, None)
                raise SalesforceError.of(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            cursor.touched = self._clock()
            self._open.move_to_end(locator)
            return cursor

    def clear(self) -> None:
        """Forget every cursor (admin reset)."""
        with self._lock:
            self._open.clear()


def page(cursors: Cursors, cursor: Cursor, start: int, lookup: Lookup, version: str,
         locator: str | None = None) -> dict[str, Any]:
    """The page of `cursor` beginning at `start`, with nextRecordsUrl when more remain."""
    chunk = cursor.ids[start : start + cursor.size]
    records = [project(cursor.plan, row, lookup, version)
               for row in (lookup(record_id) for record_id in chunk) if row is not None]
    end = start + len(chunk)
    body: dict[str, Any] = {"totalSize": len(cursor.ids), "done": end >= len(cursor.ids),
                            "records": records}
    if not body["done"]:
        locator = locator or cursors.open(cursor)
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
    return body


def record_body(version: str, sobject: str, record: Record,
                fields: list[str] | None = None) -> dict[str, Any]:
    """A record as GET /sobjects/{type}/{id} returns it, optionally only some fields."""
    body: dict[str, Any] = {"attributes": {"type": sobject,
                                           "url": sobject_url(version, sobject, record["Id"])}}
    for name in fields if fields is not None else record:
        body[name] = record.get(name)
    return body
