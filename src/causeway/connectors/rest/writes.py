"""Writes through a configured REST API, idempotent under retries.

An upsert goes to the API's own create-or-update endpoint when it has one; otherwise the
record is first searched by its external field and then created or updated. Either way a
retry after an ambiguous timeout finds what the first attempt created instead of creating a
second record. Every request gets its own result; one failure hides none of the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from causeway.connectors.contract import WriteOperation, WriteRequest, WriteResult
from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    FatalError,
    InvalidRecordError,
)
from causeway.connectors.rest.client import RestClient
from causeway.connectors.rest.config import BatchUpsert, Resource, RestConfig, WriteConfig
from causeway.connectors.rest.errors import classify
from causeway.connectors.rest.selectors import contains, find, wrap
from causeway.connectors.rest.templates import (
    EXTERNAL_FIELD,
    EXTERNAL_VALUE,
    ID,
    fill_param,
    fill_path,
)

_EMPTY: tuple[Any, ...] = (None, "", False, [], {})


class Writer:
    """Applies write requests to the resources of one configured system."""

    def __init__(self, client: RestClient, config: RestConfig) -> None:
        self.client = client
        self.config = config
        self.system = config.system

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One result per request, in order; batch upserts where the resource declares them."""
        results: dict[int, WriteResult] = {}
        for chunk in self._batches(requests):
            outcomes = await self._batch_upsert([requests[index] for index in chunk])
            results.update(zip(chunk, outcomes, strict=True))
        for index, request in enumerate(requests):
            if index not in results:
                results[index] = await self._one(request)
        return [results[index] for index in range(len(requests))]

    def _batches(self, requests: Sequence[WriteRequest]) -> list[list[int]]:
        """Batchable upserts grouped by object and key field; a repeated key starts a new chunk."""
        chunks: list[list[int]] = []
        open_chunks: dict[tuple[str, str], tuple[list[int], set[str]]] = {}
        for index, request in enumerate(requests):
            resource = self.config.resource(request.object_name)
            key = request.key
            if (
                resource is None
                or resource.write is None
                or resource.write.batch_upsert is None
                or request.operation is not WriteOperation.UPSERT
                or key.external_field is None
                or key.external_value is None
            ):
                continue
            group = (request.object_name, key.external_field)
            chunk, values = open_chunks.get(group, ([], set()))
            limit = resource.write.batch_upsert.max_size
            if not chunk or len(chunk) >= limit or key.external_value in values:
                chunk, values = [], set()
                chunks.append(chunk)
            chunk.append(index)
            values.add(key.external_value)
            open_chunks[group] = (chunk, values)
        return chunks

    async def _one(self, request: WriteRequest) -> WriteResult:
        try:
            resource, write = self._target(request)
            if request.operation is WriteOperation.DELETE:
                return await self._delete(request, resource, write)
            if request.operation is WriteOperation.UPDATE:
                return await self._update(request, resource, write)
            return await self._upsert(request, resource, write)
        except ConnectorError as error:
            return WriteResult(request, error=error)

    def _where(self, request: WriteRequest) -> dict[str, Any]:
        return {
            "system": self.system,
            "object_name": request.object_name,
            "record_id": request.key.describe(),
        }

    def _target(self, request: WriteRequest) -> tuple[Resource, WriteConfig]:
        resource = self.config.resource(request.object_name)
        if resource is None:
            raise FatalError("no such resource in the configuration", **self._where(request))
        if resource.write is None:
            raise FatalError("the resource is not writable", **self._where(request))
        return resource, resource.write

    def _body(self, request: WriteRequest, write: WriteConfig | None, *, with_key: bool) -> Any:
        """The request's fields (with its key when asked), under the body wrapper if any."""
        fields = dict(request.fields)
        key = request.key
        if with_key and key.external_field is not None:
            given = fields.setdefault(key.external_field, key.external_value)
            if str(given) != key.external_value:
                raise InvalidRecordError(
                    "field value differs from the write key",
                    field=key.external_field,
                    **self._where(request),
                )
        return wrap(fields, write.body_wrapper) if write is not None else fields

    def _path(self, request: WriteRequest, template: str, values: dict[str, str]) -> str:
        try:
            return fill_path(template, values)
        except ValueError as error:
            raise InvalidRecordError(str(error), field=ID, **self._where(request)) from None

    async def _upsert(
        self, request: WriteRequest, resource: Resource, write: WriteConfig
    ) -> WriteResult:
        key = request.key
        if key.system_id is not None:
            return await self._update_by_id(request, resource, write, key.system_id)
        assert key.external_field is not None
        assert key.external_value is not None
        if write.upsert is not None:
            body = self._body(request, write, with_key=False)
            path = self._path(
                request,
                write.upsert.path,
                {EXTERNAL_FIELD: key.external_field, EXTERNAL_VALUE: key.external_value},
            )
            response = await self._send(request, write.upsert.method, path, body)
            system_id = self._written_id(response, resource, write, request)
            if system_id is None and write.lookup is not None:
                system_id = await self._lookup(request, resource)
            return WriteResult(request, system_id=system_id, created=response.status_code == 201)
        if write.lookup is None:
            raise FatalError("an upsert needs write.upsert or write.lookup", **self._where(request))
        found = await self._lookup(request, resource)
        if found is not None:
            return await self._update_by_id(request, resource, write, found)
        if write.create is None:
            raise FatalError("no record found and write.create is not set", **self._where(request))
        body = self._body(request, write, with_key=True)
        response = await self._send(request, write.create.method, write.create.path, body)
        return WriteResult(
            request, system_id=self._written_id(response, resource, write, request), created=True
        )

    async def _update(
        self, request: WriteRequest, resource: Resource, write: WriteConfig
    ) -> WriteResult:
        system_id = request.key.system_id or await self._lookup(request, resource)
        if system_id is None:
            raise InvalidRecordError("no record has this key", **self._where(request))
        return await self._update_by_id(request, resource, write, system_id)

    async def _update_by_id(
        self, request: WriteRequest, resource: Resource, write: WriteConfig, system_id: str
    ) -> WriteResult:
        if write.update is None:
            raise FatalError("write.update is not set", **self._where(request))
        path = self._path(request, write.update.path, {ID: system_id})
        body = self._body(request, write, with_key=False)
        response = await self._send(request, write.update.method, path, body, accept=(404,))
        if response.status_code == 404:
            raise InvalidRecordError("no such record", status=404, **self._where(request))
        written = self._written_id(response, resource, write, request)
        return WriteResult(request, system_id=written or system_id)

    async def _delete(
        self, request: WriteRequest, resource: Resource, write: WriteConfig
    ) -> WriteResult:
        if write.delete is None:
            raise FatalError("write.delete is not set", **self._where(request))
        system_id = request.key.system_id or await self._lookup(request, resource)
        if system_id is None:
            return WriteResult(request)  # nothing holds the key: already gone
        path = self._path(request, write.delete.path, {ID: system_id})
        # Already gone is what a delete wants: a retry after a lost answer must succeed.
        await self._send(request, write.delete.method, path, None, accept=(404, 410))
        return WriteResult(request, system_id=system_id)

    async def _lookup(self, request: WriteRequest, resource: Resource) -> str | None:
        """The system id holding the request's external key, None when no record does."""
        key = request.key
        assert resource.write is not None
        lookup = resource.write.lookup
        if lookup is None or key.external_field is None or key.external_value is None:
            raise FatalError(
                "finding a record by external key needs write.lookup", **self._where(request)
            )
        values = {EXTERNAL_FIELD: key.external_field, EXTERNAL_VALUE: key.external_value}
        params = {name: fill_param(value, values) for name, value in lookup.params.items()}
        response = await self.client.request(
            "GET",
            lookup.path,
            params=params,
            object_name=request.object_name,
            record_id=key.describe(),
        )
        body = self.client.json(response, request.object_name)
        selector = lookup.data_selector or resource.data_selector
        candidates = [
            item
            for item in self.client.select(body, selector, request.object_name)
            if isinstance(item, dict)
        ]
        if candidates and not any(contains(item, key.external_field) for item in candidates):
            raise FatalError(
                "lookup results do not carry the key field, so no match can be confirmed",
                field=key.external_field,
                **self._where(request),
            )
        # Only exact matches count: a search that ignores or loosens the filter must not
        # make us update somebody else's record.
        matches = {
            str(find(item, resource.id_path))
            for item in candidates
            if str(find(item, key.external_field)) == key.external_value
        }
        if len(matches) > 1:
            raise ConflictError(
                f"{len(matches)} records hold this key",
                field=key.external_field,
                **self._where(request),
            )
        return matches.pop() if matches else None

    async def _send(
        self,
        request: WriteRequest,
        method: str,
        path: str,
        body: Any,
        *,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        return await self.client.request(
            method,
            path,
            json=body,
            object_name=request.object_name,
            record_id=request.key.describe(),
            accept=accept,
        )

    def _written_id(
        self,
        response: httpx.Response,
        resource: Resource,
        write: WriteConfig,
        request: WriteRequest,
    ) -> str | None:
        body = self.client.json(response, request.object_name)
        record = find(body, write.result_selector)
        value = find(record, resource.id_path) if isinstance(record, dict) else None
        return None if value in _EMPTY else str(value)

    async def _batch_upsert(self, requests: list[WriteRequest]) -> list[WriteResult]:
        first = requests[0]
        resource, write = self._target(first)
        batch = write.batch_upsert
        assert batch is not None
        results: dict[int, WriteResult] = {}
        items: dict[int, Any] = {}
        for index, request in enumerate(requests):
            try:
                # Batch items go bare: the batch's own wrapper holds the list.
                items[index] = self._body(request, None, with_key=True)
            except InvalidRecordError as error:
                # One bad record must not sink its neighbours.
                results[index] = WriteResult(request, error=error)
        sent = list(items)
        if sent:
            try:
                response = await self.client.request(
                    batch.method,
                    batch.path,
                    json=wrap([items[index] for index in sent], batch.body_wrapper),
                    object_name=first.object_name,
                )
                body = self.client.json(response, first.object_name)
                outcomes = find(body, batch.results_selector)
                if not isinstance(outcomes, list) or len(outcomes) != len(sent):
                    raise FatalError(
                        f"the batch answer does not hold {len(sent)} outcomes in order",
                        system=self.system,
                        object_name=first.object_name,
                    )
                for index, outcome in zip(sent, outcomes, strict=True):
                    results[index] = self._outcome(requests[index], resource, batch, outcome)
            except ConnectorError as error:
                for index in sent:
                    results[index] = WriteResult(requests[index], error=error)
        return [results[index] for index in range(len(requests))]

    def _outcome(
        self, request: WriteRequest, resource: Resource, batch: BatchUpsert, outcome: Any
    ) -> WriteResult:
        problem = find(outcome, batch.error_path)
        if problem not in _EMPTY:
            # The whole outcome is the error body, so the configured error paths apply to it.
            error = classify(400, outcome, self.config.errors, write=True, **self._where(request))
            return WriteResult(request, error=error)
        system_id = find(outcome, resource.id_path)
        created = bool(find(outcome, batch.created_path)) if batch.created_path else False
        return WriteResult(
            request,
            system_id=None if system_id in _EMPTY else str(system_id),
            created=created,
        )
