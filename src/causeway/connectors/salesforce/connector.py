"""Salesforce as a Causeway connector: change events or SystemModstamp polling, collections,
external-id upserts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from causeway.connectors.contract import (
    ChangePage,
    ObjectSchema,
    RawRecord,
    WriteOperation,
    WriteRequest,
    WriteResult,
)
from causeway.connectors.errors import ConnectorError
from causeway.connectors.salesforce.change_events import ChangeEventFeed
from causeway.connectors.salesforce.client import (
    COLLECTION_LIMIT,
    SalesforceClient,
    SalesforceSettings,
)
from causeway.connectors.salesforce.errors import SYSTEM, classify
from causeway.connectors.salesforce.pricebooks import PRICEBOOK_ENTRY, PriceBooks, scope
from causeway.connectors.salesforce.soql import Query, chunks, compare, identifier, is_in
from causeway.connectors.watermark import Watermark, advance, settled_until

_SYSTEM_FIELDS = ("Id", "SystemModstamp", "IsDeleted")


def parse_datetime(value: str | None) -> datetime | None:
    """Salesforce date-times look like 2024-05-01T10:00:00.000+0000."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SalesforceConnector:
    """Reads and writes one Salesforce org through the REST API."""

    system = SYSTEM
    max_batch = COLLECTION_LIMIT

    def __init__(
        self,
        settings: SalesforceSettings,
        fields: dict[str, Sequence[str]] | None = None,
        settle: timedelta = timedelta(seconds=2),
        client: SalesforceClient | None = None,
    ) -> None:
        self.client = client or SalesforceClient(settings)
        self._fields = {name: tuple(values) for name, values in (fields or {}).items()}
        self._schemas: dict[str, ObjectSchema] = {}
        self.settle = settle
        self.price_books = PriceBooks(self.client)
        self.feed = (
            ChangeEventFeed(self.client, self.poll, self.read_states, settle)
            if settings.change_source == "events"
            else None
        )

    async def describe(self, object_name: str) -> ObjectSchema:
        """Fields of an object from Salesforce's own describe, cached."""
        if object_name in self._schemas:
            return self._schemas[object_name]
        path = f"{self.client.data_path}/sobjects/{identifier(object_name)}/describe"
        body = (await self.client.request("GET", path, object_name=object_name)).json()
        fields = {str(f["name"]): str(f["type"]) for f in body["fields"]}
        required = tuple(
            str(f["name"])
            for f in body["fields"]
            if f.get("createable")
            and not f.get("nillable")
            and not f.get("defaultedOnCreate")
            and f.get("type") != "boolean"
        )
        schema = ObjectSchema(
            name=object_name,
            fields=fields,
            key_fields=("Id",),
            external_id_fields=tuple(str(f["name"]) for f in body["fields"] if f.get("externalId")),
            required_fields=required,
        )
        self._schemas[object_name] = schema
        return schema

    async def _field_list(self, object_name: str) -> tuple[str, ...]:
        chosen = self._fields.get(object_name)
        if chosen is None:
            chosen = tuple((await self.describe(object_name)).fields)
        return tuple(dict.fromkeys((*_SYSTEM_FIELDS, *chosen)))

    def _record(self, object_name: str, row: dict[str, Any]) -> RawRecord:
        return RawRecord(
            system=SYSTEM,
            object_name=object_name,
            id=str(row["Id"]),
            fields=row,
            modified_at=parse_datetime(row.get("SystemModstamp")),
            deleted=bool(row.get("IsDeleted")),
            # Salesforce deletes the losers of a merge and points them at the survivor.
            merged_into=row.get("MasterRecordId") if row.get("IsDeleted") else None,
        )

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Changed records after the cursor: from change events, or by SystemModstamp polling."""
        if self.feed is not None:
            return await self.feed.changes(object_name, cursor, limit)
        return await self.poll(object_name, cursor, limit)

    async def poll(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Records whose SystemModstamp passed the watermark, deletions included, oldest first.

        SystemModstamp, not LastModifiedDate: it also moves on system-made changes and is the
        indexed field Salesforce recommends for replication.
        """
        watermark = Watermark.decode(cursor)
        horizon = settled_until(datetime.now(UTC), self.settle)
        condition = compare("SystemModstamp", "<=", horizon)
        narrowed = scope(object_name)
        if narrowed is not None:
            condition = condition & narrowed
        if watermark is not None:
            after = compare("SystemModstamp", ">", watermark.modified_at) | (
                compare("SystemModstamp", "=", watermark.modified_at)
                & compare("Id", ">", watermark.last_id)
            )
            condition = condition & after
        query = Query(
            object_name,
            await self._field_list(object_name),
            where=condition,
            order_by=(("SystemModstamp", "ASC"), ("Id", "ASC")),
            limit=limit,
        )
        records: list[RawRecord] = []
        async for page in self.client.query_pages(
            query.render(), include_deleted=True, object_name=object_name
        ):
            records.extend(self._record(object_name, row) for row in page)
        latest = advance(watermark, records)
        return ChangePage(
            records=records,
            cursor=latest.encode() if latest else (cursor or ""),
            more=len(records) >= limit,
        )

    async def read(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of live records by id, in chunks that keep the URL short."""
        return await self._read(object_name, ids, include_deleted=False)

    async def read_states(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of records by id, deleted ones included (flagged), for change events."""
        return await self._read(object_name, ids, include_deleted=True)

    async def _read(
        self, object_name: str, ids: Sequence[str], *, include_deleted: bool
    ) -> list[RawRecord]:
        fields = await self._field_list(object_name)
        found: list[RawRecord] = []
        for chunk in chunks(list(ids), COLLECTION_LIMIT):
            narrowed = scope(object_name)
            where = is_in("Id", chunk)
            query = Query(object_name, fields, where=where & narrowed if narrowed else where)
            async for page in self.client.query_pages(
                query.render(), include_deleted=include_deleted, object_name=object_name
            ):
                found.extend(self._record(object_name, row) for row in page)
        return found

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply writes through sObject Collections, 200 at a time, never all-or-none."""
        results: dict[int, WriteResult] = {}
        groups: dict[tuple[str, WriteOperation, str | None], list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            operation = request.operation
            if operation is WriteOperation.UPSERT and request.key.system_id is not None:
                operation = WriteOperation.UPDATE
            groups[(request.object_name, operation, request.key.external_field)].append(index)
        for (object_name, operation, external_field), indexes in groups.items():
            for chunk in chunks(indexes, COLLECTION_LIMIT):
                batch = [requests[index] for index in chunk]
                try:
                    outcomes = await self._write_chunk(
                        object_name, operation, external_field, batch
                    )
                except ConnectorError as error:
                    outcomes = [WriteResult(request, error=error) for request in batch]
                results.update(zip(chunk, outcomes, strict=True))
        return [results[index] for index in range(len(requests))]

    async def _write_chunk(
        self,
        object_name: str,
        operation: WriteOperation,
        external_field: str | None,
        batch: list[WriteRequest],
    ) -> list[WriteResult]:
        root = f"{self.client.data_path}/composite/sobjects"
        if operation is WriteOperation.DELETE:
            ids = ",".join(_system_id(request) for request in batch)
            response = await self.client.request(
                "DELETE", root, params={"ids": ids, "allOrNone": "false"}, object_name=object_name
            )
        else:
            payloads = [request.fields for request in batch]
            if object_name == PRICEBOOK_ENTRY:
                payloads = await self.price_books.prepare(operation, batch)
            records = []
            for request, fields in zip(batch, payloads, strict=True):
                record: dict[str, Any] = {"attributes": {"type": object_name}, **fields}
                if operation is WriteOperation.UPDATE:
                    record["id"] = _system_id(request)
                else:
                    assert external_field is not None
                    record[external_field] = request.key.external_value
                records.append(record)
            path = root
            if operation is WriteOperation.UPSERT:
                path = f"{root}/{identifier(object_name)}/{identifier(external_field or '')}"
            response = await self.client.request(
                "PATCH",
                path,
                json={"allOrNone": False, "records": records},
                object_name=object_name,
            )
        return [
            self._result(object_name, request, outcome)
            for request, outcome in zip(batch, response.json(), strict=True)
        ]

    def _result(
        self, object_name: str, request: WriteRequest, outcome: dict[str, Any]
    ) -> WriteResult:
        if outcome.get("success"):
            return WriteResult(
                request, system_id=outcome.get("id"), created=bool(outcome.get("created"))
            )
        error = classify(
            400,
            outcome.get("errors") or [],
            object_name=object_name,
            record_id=request.key.describe(),
            write=True,
        )
        return WriteResult(request, error=error)

    async def aclose(self) -> None:
        """Close the client."""
        await self.client.aclose()


def _system_id(request: WriteRequest) -> str:
    if request.key.system_id is None:
        raise ValueError(f"{request.object_name} {request.key.describe()}: needs a system id")
    return request.key.system_id


