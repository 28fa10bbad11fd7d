"""A system described by one YAML file, as a Causeway connector."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from causeway.connectors.contract import (
    ChangePage,
    ObjectSchema,
    RawRecord,
    WriteRequest,
    WriteResult,
)
from causeway.connectors.errors import FatalError
from causeway.connectors.rest.changes import poll, to_record
from causeway.connectors.rest.client import RestClient, public_url
from causeway.connectors.rest.config import ReadConfig, Resource, RestConfig
from causeway.connectors.rest.loader import load_config
from causeway.connectors.rest.selectors import find
from causeway.connectors.rest.templates import ID, fill_path
from causeway.connectors.rest.writes import Writer


class RestConnector:
    """Reads and writes the resources a REST configuration declares, through the contract."""

    def __init__(
        self,
        config: RestConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.system = config.system
        self.max_batch = config.max_batch
        self.client = RestClient(config, transport=transport)
        self._writer = Writer(self.client, config)
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        env: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> RestConnector:
        """A connector for the system a YAML file describes; secrets come from `env`."""
        return cls(load_config(path, env=env), transport=transport)

    def __repr__(self) -> str:
        base_url = public_url(self.client.base_url)
        return f"RestConnector(system={self.system!r}, base_url={base_url!r})"

    def _resource(self, object_name: str) -> Resource:
        resource = self.config.resource(object_name)
        if resource is None:
            raise FatalError(
                "no such resource in the configuration", system=self.system, object_name=object_name
            )
        return resource

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Records changed after `cursor`, oldest first by (time, id), settled."""
        resource = self._resource(object_name)
        return await poll(self.client, object_name, resource, cursor, limit, self._clock())

    async def scan(self, object_name: str) -> AsyncIterator[list[RawRecord]]:
        """Every record of a resource, page by page: for initial loads and reconciliation."""
        resource = self._resource(object_name)
        listing = self.client.pages(resource, object_name, {})
        async with contextlib.aclosing(listing):
            async for page in listing:
                yield [
                    to_record(self.system, object_name, resource, item, strict=False)
                    for item in page.records
                ]

    async def read(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of the given records, in the order asked; missing ones are left out."""
        resource = self._resource(object_name)
        if resource.read is None:
            raise FatalError(
                "the resource has no read endpoint", system=self.system, object_name=object_name
            )
        wanted = [record_id for record_id in dict.fromkeys(ids) if record_id]
        if resource.read.ids_param is None:
            found = {}
            for record_id in wanted:
                item = await self._read_one(object_name, resource.read, record_id)
                if item is not None:
                    found[record_id] = to_record(
                        self.system, object_name, resource, item, strict=False
                    )
        else:
            found = await self._read_listed(object_name, resource, resource.read, wanted)
        return [found[record_id] for record_id in wanted if record_id in found]

    async def _read_one(
        self, object_name: str, read: ReadConfig, record_id: str
    ) -> dict[str, Any] | None:
        path = fill_path(read.path, {ID: record_id})
        response = await self.client.request(
            "GET", path, object_name=object_name, record_id=record_id, accept=(404, 410)
        )
        if response.status_code in (404, 410):
            return None
        item = find(self.client.json(response, object_name), read.data_selector)
        if not isinstance(item, dict):
            raise FatalError(
                "the read answer holds no record object; check read.data_selector",
                system=self.system,
                object_name=object_name,
                record_id=record_id,
            )
        return item

    async def _read_listed(
        self, object_name: str, resource: Resource, read: ReadConfig, wanted: list[str]
    ) -> dict[str, RawRecord]:
        assert read.ids_param is not None
        found: dict[str, RawRecord] = {}
        for start in range(0, len(wanted), read.max_ids):
            chunk = wanted[start : start + read.max_ids]
            response = await self.client.request(
                "GET",
                read.path,
                params={read.ids_param: read.ids_separator.join(chunk)},
                object_name=object_name,
            )
            body = self.client.json(response, object_name)
            selector = read.data_selector or resource.data_selector
            for item in self.client.select(body, selector, object_name):
                record = to_record(self.system, object_name, resource, item, strict=False)
                if record.id in chunk:  # an API ignoring the filter must not add strangers
                    found[record.id] = record
        return found

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One result per request, in order; upserts are retry-safe."""
        return await self._writer.write(requests)

    async def describe(self, object_name: str) -> ObjectSchema:
        """The fields the configuration lists for a resource (none listed: only its id)."""
        resource = self._resource(object_name)
        fields = resource.fields
        return ObjectSchema(
            name=object_name,
            fields={name: spec.type for name, spec in fields.items()},
            key_fields=(resource.id_path,),
            external_id_fields=tuple(name for name, spec in fields.items() if spec.external_id),
            required_fields=tuple(name for name, spec in fields.items() if spec.required),
        )

    async def aclose(self) -> None:
        """Close the connections."""
        await self.client.aclose()
