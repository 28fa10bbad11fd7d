"""S/4HANA as a Causeway connector: change polling on time stamps, retry-safe writes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from causeway.connectors.contract import (
    ChangePage,
    ObjectSchema,
    RawRecord,
    WriteOperation,
    WriteRequest,
    WriteResult,
)
from causeway.connectors.errors import ConflictError, ConnectorError
from causeway.connectors.s4hana.batch_writes import BatchWriter
from causeway.connectors.s4hana.catalogue import CONTACT_PERSON, LIST_PRICE, EntitySpec, spec_for
from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.contact_person import ContactPersons, split_contact
from causeway.connectors.s4hana.deep_update import expand_paths, plan_patches
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.list_prices import ListPrices
from causeway.connectors.s4hana.odata import (
    Filter,
    any_of,
    compare,
    literal,
    parse_datetime,
    parse_time,
)
from causeway.connectors.s4hana.simulation import (
    OrderSimulator,
    QuoteLine,
    SalesArea,
    Simulation,
)
from causeway.connectors.watermark import Watermark, advance, settled_until

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# With `batch` on (the default) a write batch goes out as OData $batch calls, one change set
# per record, so a failing record fails alone and is named (see `batch_writes`); with it off,
# one entity per request.
MAX_BATCH = 100


class S4Connector:
    """Reads and writes an S/4HANA system through its OData v2 APIs."""

    system = SYSTEM
    max_batch = MAX_BATCH

    def __init__(
        self,
        settings: S4Settings,
        settle: timedelta = timedelta(seconds=2),
        client: S4Client | None = None,
    ) -> None:
        self.client = client or S4Client(settings)
        self.settle = settle
        self.contacts = ContactPersons(self.client)
        self.simulations = OrderSimulator(self.client)
        self.list_prices = ListPrices(self.client, LIST_PRICE)
        self.batches = BatchWriter(self.client, self._write_one)
        if self.client.settings.batch:
            self.max_batch = self.client.settings.batch_parts

    def modified_at(self, spec: EntitySpec, row: dict[str, Any]) -> datetime | None:
        """When the record last changed, from whichever stamp the entity set carries."""
        if spec.changed_at is not None:
            return parse_datetime(row.get(spec.changed_at))
        stamps = [_date_time(row, pair) for pair in (spec.changed_on, spec.created_on) if pair]
        present = [stamp for stamp in stamps if stamp is not None]
        return max(present) if present else None

    def _record(self, spec: EntitySpec, row: dict[str, Any]) -> RawRecord:
        fields = {name: value for name, value in row.items() if name != "__metadata"}
        return RawRecord(
            system=SYSTEM,
            object_name=spec.name,
            id=str(row[spec.key]),
            fields=fields,
            modified_at=self.modified_at(spec, row),
        )

    def _change_filter(self, spec: EntitySpec, watermark: Watermark | None) -> Filter | None:
        if watermark is None:
            return None
        if spec.changed_at is not None:
            return compare(spec.changed_at, "ge", watermark.modified_at)
        # Date and time stamps (whole seconds): on the watermark's day from its second on,
        # or any later day. Exact (time, key) order is applied here.
        moment = watermark.modified_at.astimezone(UTC)
        day = datetime(moment.year, moment.month, moment.day)
        second = time(moment.hour, moment.minute, moment.second)
        stamps = [pair for pair in (spec.changed_on, spec.created_on) if pair is not None]
        parts = [
            compare(date_field, "gt", day)
            | (compare(date_field, "eq", day) & compare(time_field, "ge", second))
            for date_field, time_field in stamps
        ]
        return any_of_filters(parts) if parts else None

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Records changed after the cursor, oldest first, up to the settle horizon."""
        spec = spec_for(object_name)
        watermark = Watermark.decode(cursor)
        params: dict[str, str] = {}
        condition = spec.condition(self._change_filter(spec, watermark))
        if condition is not None:
            params["$filter"] = condition.text
        if spec.changed_at is not None:
            params["$orderby"] = f"{spec.changed_at} asc,{spec.key} asc"
        if spec.expand:
            params["$expand"] = ",".join(spec.expand)
        fresh: list[RawRecord] = []
        horizon: datetime | None = None
        async for page in self.client.pages(spec.service, spec.entity_set, params):
            if horizon is None:
                # Taken after the first answer, from the server's clock.
                horizon = settled_until(self.client.server_now(), self.settle)
            for row in page:
                record = self._record(spec, row)
                moment = record.modified_at
                if moment is None:
                    # Never stamped (loaded by migration): only a full read hands it out.
                    if watermark is None:
                        fresh.append(record)
                    continue
                if moment > horizon:
                    continue
                if watermark is None or watermark.precedes(moment, record.id):
                    fresh.append(record)
            if spec.changed_at is not None and len(fresh) >= limit:
                break
        fresh.sort(key=lambda record: (record.modified_at or _EPOCH, record.id))
        handed_out = fresh[:limit]
        latest = advance(watermark, handed_out)
        return ChangePage(
            records=await self._composed(spec, handed_out),
            cursor=latest.encode() if latest else (cursor or ""),
            more=len(fresh) > limit,
        )

    async def read(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of records by key."""
        spec = spec_for(object_name)
        if spec.name == LIST_PRICE:
            return await self.list_prices.read(ids)
        found: list[RawRecord] = []
        for start in range(0, len(ids), 40):
            chunk = list(ids[start : start + 40])
            params = {"$filter": spec.condition(any_of(spec.key, chunk)).text}
            if spec.expand:
                params["$expand"] = ",".join(spec.expand)
            async for page in self.client.pages(spec.service, spec.entity_set, params):
                found.extend(self._record(spec, row) for row in page)
        return await self._composed(spec, found)

    async def _composed(self, spec: EntitySpec, records: list[RawRecord]) -> list[RawRecord]:
        """Records of a composed object get their parts from other entity sets."""
        if spec.name == CONTACT_PERSON:
            return await self.contacts.attach(records)
        if spec.name == LIST_PRICE:
            return await self.list_prices.compose(records)
        return records

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply each write; a create is preceded by a lookup of its reference.

        With `batch` on, records go out together in `$batch` calls (see `batch_writes`);
        otherwise each record is its own call.
        """
        if self.client.settings.batch:
            return await self.batches.write(requests)
        return await self.write_each(requests)

    async def write_each(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Each record with its own calls: writes of different records side by side
        (`concurrency` at once), those of one record in order."""
        results: dict[int, WriteResult] = {}
        by_record: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            by_record.setdefault(request.key.describe(), []).append(index)
        lanes = asyncio.Semaphore(self.client.settings.concurrency)

        async def write_in_order(indexes: list[int]) -> None:
            async with lanes:
                for index in indexes:
                    request = requests[index]
                    try:
                        results[index] = await self._write_one(request)
                    except ConnectorError as error:
                        results[index] = WriteResult(request, error=error)

        await asyncio.gather(*(write_in_order(indexes) for indexes in by_record.values()))
        return [results[index] for index in range(len(requests))]

    async def _write_one(self, request: WriteRequest) -> WriteResult:
        spec = spec_for(request.object_name)
        if spec.name == CONTACT_PERSON:
            return await self._write_contact_person(spec, request)
        return await self._write_entity(spec, request)

    async def _write_contact_person(self, spec: EntitySpec, request: WriteRequest) -> WriteResult:
        """The person through the usual path, then its relationship; each step idempotent."""
        fields, contact = split_contact(request.fields, request.key.describe())
        if request.operation is WriteOperation.DELETE:
            # Business partners are archived, never deleted: the contact relationships end.
            await self.contacts.end_all(_system_id(request))
            return WriteResult(request, system_id=request.key.system_id)
        if request.key.system_id is None:
            fields.setdefault("BusinessPartnerCategory", "1")
        person = await self._write_entity(spec, replace(request, fields=fields))
        if person.system_id is not None and contact is not None:
            await self.contacts.ensure(person.system_id, contact)
        return replace(person, request=request)

    async def _write_entity(self, spec: EntitySpec, request: WriteRequest) -> WriteResult:
        record_id = request.key.describe()
        if request.operation is WriteOperation.DELETE:
            await self.client.request(
                "DELETE",
                spec.service,
                _entity_path(spec, _system_id(request)),
                object_name=spec.name,
                record_id=record_id,
            )
            return WriteResult(request, system_id=request.key.system_id)
        system_id = request.key.system_id
        if system_id is None:
            system_id = await self._find_by_reference(spec, request)
        if system_id is None:
            body = dict(request.fields)
            if request.key.external_field is not None:
                body[request.key.external_field] = request.key.external_value
            response = await self.client.request(
                "POST",
                spec.service,
                spec.entity_set,
                json=body,
                object_name=spec.name,
                record_id=record_id,
            )
            created = response.json()["d"]
            return WriteResult(request, system_id=str(created[spec.key]), created=True)
        await self._update(spec, system_id, request)
        return WriteResult(request, system_id=system_id)

    async def _update(self, spec: EntitySpec, system_id: str, request: WriteRequest) -> None:
        """PATCH the entity and each nested entity the payload changes, by its own URI.

        A payload of the entity's own properties is one PATCH (the sync writes only what
        differs); nested entities need their URIs, so those are read first.
        """
        if not request.fields:
            return  # e.g. a contact whose change lies wholly in its relationship
        path = _entity_path(spec, system_id)
        expand = expand_paths(request.fields)
        if not expand:
            await self.client.request(
                "PATCH",
                spec.service,
                path,
                json=dict(request.fields),
                object_name=spec.name,
                record_id=system_id,
            )
            return
        params = {"$expand": ",".join(expand)}
        current = await self.client.request(
            "GET",
            spec.service,
            path,
            params=params,
            object_name=spec.name,
            record_id=system_id,
        )
        for patch in plan_patches(request.fields, current.json()["d"], "", system_id):
            await self.client.request(
                "PATCH",
                spec.service,
                patch.uri,
                json=patch.fields,
                object_name=spec.name,
                record_id=system_id,
            )

    async def _find_by_reference(self, spec: EntitySpec, request: WriteRequest) -> str | None:
        field, value = request.key.external_field, request.key.external_value
        if field is None or value is None:
            return None
        condition = spec.condition(compare(field, "eq", value))
        params = {"$filter": condition.text, "$select": spec.key}
        keys: list[str] = []
        async for page in self.client.pages(spec.service, spec.entity_set, params):
            keys.extend(str(row[spec.key]) for row in page)
        if len(keys) > 1:
            raise ConflictError(
                f"{len(keys)} records carry the reference: {', '.join(keys[:5])}",
                system=SYSTEM,
                object_name=spec.name,
                record_id=request.key.describe(),
                field=field,
            )
        return keys[0] if keys else None

    async def describe(self, object_name: str) -> ObjectSchema:
        """The entity set as the catalogue knows it (the service's $metadata has the rest)."""
        spec = spec_for(object_name)
        fields = {spec.key: "Edm.String"}
        if spec.reference:
            fields[spec.reference] = "Edm.String"
        if spec.name == CONTACT_PERSON:
            fields["Contact"] = "API_BUSINESS_PARTNER.A_BusinessPartnerContactType"
        return ObjectSchema(
            name=spec.name,
            fields=fields,
            key_fields=(spec.key,),
            external_id_fields=(spec.reference,) if spec.reference else (),
        )

    async def simulate_order(
        self,
        sold_to: str,
        currency: str,
        lines: Sequence[QuoteLine],
        *,
        sales_area: SalesArea | None = None,
        timeout_s: float | None = None,
    ) -> Simulation:
        """Price and available-to-promise of quote lines, nothing saved (see `simulation`)."""
        return await self.simulations.simulate_order(
            sold_to, currency, lines, sales_area=sales_area, timeout_s=timeout_s
        )

    async def aclose(self) -> None:
        """Close the client."""
        await self.client.aclose()


def any_of_filters(filters: list[Filter]) -> Filter:
    """Join filters with `or`."""
    combined = filters[0]
    for extra in filters[1:]:
        combined = combined | extra
    return combined


def _date_time(row: dict[str, Any], pair: tuple[str, str]) -> datetime | None:
    day = parse_datetime(row.get(pair[0]))
    if day is None:
        return None
    clock = parse_time(row.get(pair[1])) or time(0, 0)
    return datetime.combine(day.date(), clock, tzinfo=UTC)


def _system_id(request: WriteRequest) -> str:
    if request.key.system_id is None:
        raise ValueError(f"{request.object_name} {request.key.describe()}: needs a system id")
    return request.key.system_id


def _entity_path(spec: EntitySpec, key: str) -> str:
    return f"{spec.entity_set}({literal(key)})"
