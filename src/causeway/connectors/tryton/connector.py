"""The Tryton connector: polling, reads and idempotent batch writes over JSON-RPC.

Tryton has no external-id upsert, so an upsert is keyed by a deterministic reference held
in a char field (a party's or product's `code`, a sale's `reference`): the connector
searches for it before creating, so a retry after an ambiguous timeout updates the record
the first attempt created instead of creating a second one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from causeway.connectors.contract import (
    ChangePage,
    ObjectSchema,
    RawRecord,
    WriteOperation,
    WriteRequest,
    WriteResult,
)
from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    InvalidRecordError,
)
from causeway.connectors.tryton.changes import poll, to_record
from causeway.connectors.tryton.client import (
    TrytonClient,
    TrytonSettings,
    field_from_message,
    in_context,
)
from causeway.connectors.tryton.schema import TrytonObject, fetch_object

# Archived records still hold their reference and id: find them too.
_ALL_RECORDS = {"active_test": False}


@dataclass
class _Target:
    """One request on its way through a write: its position and the record it resolved to."""

    index: int
    request: WriteRequest
    record_id: int | None = None
    error: ConnectorError | None = None
    values: dict[str, Any] | None = None
    """What the write call sends when it differs from the request's fields."""


class TrytonConnector:
    """A Tryton database as Causeway sees it, through the `Connector` contract."""

    def __init__(
        self, settings: TrytonSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.system = settings.system
        self.max_batch = settings.max_batch
        self.settings = settings
        self.client = TrytonClient(settings, transport=transport)
        self._objects: dict[str, TrytonObject] = {}

    def __repr__(self) -> str:
        return f"TrytonConnector({self.client!r})"

    async def _object(self, name: str) -> TrytonObject:
        if name not in self._objects:
            self._objects[name] = await fetch_object(self.client, name)
        return self._objects[name]

    async def describe(self, object_name: str) -> ObjectSchema:
        """Fields of an object as `fields_get` reports them."""
        return (await self._object(object_name)).to_schema()

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Records changed after `cursor`, oldest first, up to the settle interval."""
        tryton_object = await self._object(object_name)
        return await poll(
            self.client,
            object_name,
            tryton_object.read_fields(),
            cursor,
            limit,
            timedelta(seconds=self.settings.settle_seconds),
        )

    async def read(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of the given records, in the order asked; missing ones are left out."""
        wanted = [int(record_id) for record_id in ids if record_id.isdigit()]
        if not wanted:
            return []
        tryton_object = await self._object(object_name)
        rows = await self.client.execute(
            object_name,
            "search_read",
            [["id", "in", wanted]],
            0,
            None,
            [["id", "ASC"]],
            tryton_object.read_fields(),
            context=_ALL_RECORDS,
        )
        by_id = {row["id"]: row for row in rows}
        return [
            to_record(self.system, object_name, by_id[record_id])
            for record_id in dict.fromkeys(wanted)
            if record_id in by_id
        ]

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply writes in rounds (a key repeated in the batch waits for the next round)."""
        results: dict[int, WriteResult] = {}
        for round_ in _rounds(requests):
            by_object: dict[str, list[_Target]] = defaultdict(list)
            for target in round_:
                by_object[target.request.object_name].append(target)
            for object_name, targets in by_object.items():
                await self._write_object(object_name, targets, results)
        return [results[index] for index in range(len(requests))]

    async def aclose(self) -> None:
        """Close the connections to the server."""
        await self.client.aclose()

    async def _write_object(
        self, object_name: str, targets: list[_Target], results: dict[int, WriteResult]
    ) -> None:
        try:
            tryton_object = await self._object(object_name)
        except ConnectorError as error:
            for target in targets:
                results[target.index] = self._failure(None, target, error)
            return
        checked = []
        for target in targets:
            problem = self._check(tryton_object, target.request)
            if problem is None:
                checked.append(target)
            else:
                results[target.index] = WriteResult(target.request, error=problem)
        for start in range(0, len(checked), self.max_batch):
            chunk = checked[start : start + self.max_batch]
            try:
                await self._resolve(tryton_object, chunk)
            except ConnectorError as error:
                for target in chunk:
                    results[target.index] = self._failure(tryton_object, target, error)
                continue
            await self._apply(tryton_object, chunk, results)

    def _check(self, tryton_object: TrytonObject, request: WriteRequest) -> ConnectorError | None:
        """Reject what the server would refuse anyway, naming the field."""
        where: dict[str, Any] = {
            "system": self.system,
            "object_name": request.object_name,
            "record_id": request.key.describe(),
        }
        if request.operation is not WriteOperation.DELETE:
            for name in request.fields:
                if name not in tryton_object.definitions:
                    return InvalidRecordError("no such field", field=name, **where)
                if not tryton_object.writable(name):
                    return InvalidRecordError("field is read-only", field=name, **where)
        reference = request.key.external_field
        if reference is not None:
            if not tryton_object.is_reference(reference):
                return InvalidRecordError(
                    "a reference key must be a writable char field", field=reference, **where
                )
            given = request.fields.get(reference, request.key.external_value)
            if given != request.key.external_value:
                return InvalidRecordError(
                    "field value differs from the write key", field=reference, **where
                )
        elif request.key.system_id is not None and not request.key.system_id.isdigit():
            return InvalidRecordError("Tryton ids are integers", field="id", **where)
        return None

    async def _resolve(self, tryton_object: TrytonObject, targets: list[_Target]) -> None:
        """Find the existing record of each target, by id or by reference, in one search each."""
        by_reference: dict[str, list[_Target]] = defaultdict(list)
        by_id: list[_Target] = []
        for target in targets:
            key = target.request.key
            if key.external_field is not None:
                by_reference[key.external_field].append(target)
            else:
                by_id.append(target)
        name = tryton_object.name
        if by_id:
            wanted = sorted({int(str(t.request.key.system_id)) for t in by_id})
            found = set(
                await self.client.execute(
                    name, "search", [["id", "in", wanted]], 0, None, None, context=_ALL_RECORDS
                )
            )
            for target in by_id:
                record_id = int(str(target.request.key.system_id))
                target.record_id = record_id if record_id in found else None
        for field, group in by_reference.items():
            values = sorted({str(t.request.key.external_value) for t in group})
            rows = await self.client.execute(
                name,
                "search_read",
                [[field, "in", values]],
                0,
                None,
                [["id", "ASC"]],
                [field],
                context=_ALL_RECORDS,
            )
            matches: dict[str, list[int]] = defaultdict(list)
            for row in rows:
                matches[str(row[field])].append(row["id"])
            for target in group:
                ids = matches.get(str(target.request.key.external_value), [])
                if len(ids) > 1:
                    target.error = ConflictError(
                        f"{len(ids)} records share this reference: {ids}",
                        system=self.system,
                        field=field,
                    )
                target.record_id = ids[0] if len(ids) == 1 else None
        await self._replace_lines(tryton_object, targets)

    async def _replace_lines(self, tryton_object: TrytonObject, targets: list[_Target]) -> None:
        """Make create-only line lists replace the current lines of an existing record.

        A retried upsert of a sale must not append its lines a second time: lines given
        only as `create` commands are the complete set, so the current ones are deleted.
        """
        updates = [
            target
            for target in targets
            if target.record_id is not None
            and target.request.operation is not WriteOperation.DELETE
        ]
        line_fields = sorted(
            {
                name
                for target in updates
                for name, value in target.request.fields.items()
                if tryton_object.definitions[name].get("type") == "one2many"
                and _creates_only(value)
            }
        )
        if not line_fields:
            return
        rows = await self.client.execute(
            tryton_object.name,
            "search_read",
            [["id", "in", [target.record_id for target in updates]]],
            0,
            None,
            None,
            line_fields,
            context=_ALL_RECORDS,
        )
        current = {row["id"]: row for row in rows}
        for target in updates:
            values = dict(target.request.fields)
            for name in line_fields:
                existing = current.get(target.record_id, {}).get(name) or []
                if name in values and _creates_only(values[name]) and existing:
                    values[name] = [["delete", existing], *values[name]]
            target.values = values

    async def _apply(
        self, tryton_object: TrytonObject, targets: list[_Target], results: dict[int, WriteResult]
    ) -> None:
        creates, updates, deletes = [], [], []
        for target in targets:
            operation = target.request.operation
            if target.error is not None:
                results[target.index] = self._failure(tryton_object, target, target.error)
            elif operation is WriteOperation.DELETE:
                if target.record_id is None:
                    results[target.index] = WriteResult(target.request)  # already gone
                else:
                    deletes.append(target)
            elif target.record_id is not None:
                updates.append(target)
            elif operation is WriteOperation.UPSERT and target.request.key.external_field:
                creates.append(target)
            else:
                results[target.index] = self._failure(
                    tryton_object,
                    target,
                    InvalidRecordError("no such record to update", system=self.system),
                )
        await self._batch(tryton_object, "create", creates, results)
        await self._batch(tryton_object, "write", updates, results)
        await self._batch(tryton_object, "delete", deletes, results)

    async def _batch(
        self,
        tryton_object: TrytonObject,
        method: str,
        targets: list[_Target],
        results: dict[int, WriteResult],
    ) -> None:
        """One call for all targets; on a record-level failure, one call each to pinpoint it."""
        if not targets:
            return
        try:
            answer = await self.client.execute(
                tryton_object.name, method, *_arguments(method, targets), writes=True
            )
        except (InvalidRecordError, ConflictError) as error:
            if len(targets) > 1:
                # Tryton rolled the whole call back, so the records can be tried one by one.
                for target in targets:
                    await self._batch(tryton_object, method, [target], results)
                return
            results[targets[0].index] = self._failure(tryton_object, targets[0], error)
            return
        except ConnectorError as error:
            for target in targets:
                results[target.index] = self._failure(tryton_object, target, error)
            return
        created = method == "create"
        ids = answer if created else [target.record_id for target in targets]
        for target, record_id in zip(targets, ids, strict=True):
            results[target.index] = WriteResult(
                target.request, system_id=str(record_id), created=created
            )

    def _failure(
        self, tryton_object: TrytonObject | None, target: _Target, error: ConnectorError
    ) -> WriteResult:
        field = error.field
        if field is None and tryton_object is not None:
            field = field_from_message(error.message, tryton_object.labels)
        record_id = (
            str(target.record_id) if target.record_id is not None else target.request.key.describe()
        )
        return WriteResult(
            target.request,
            system_id=str(target.record_id) if target.record_id is not None else None,
            error=in_context(
                error, object_name=target.request.object_name, record_id=record_id, field=field
            ),
        )


def _arguments(method: str, targets: list[_Target]) -> list[Any]:
    """Positional arguments of one create, write or delete call covering all targets."""
    if method == "create":
        records = []
        for target in targets:
            key = target.request.key
            record = dict(target.request.fields)
            if key.external_field is not None:
                record[key.external_field] = key.external_value
            records.append(record)
        return [records]
    if method == "write":
        pairs: list[Any] = []
        for target in targets:
            changes = target.values if target.values is not None else target.request.fields
            pairs += [[target.record_id], dict(changes)]
        return pairs
    return [[target.record_id for target in targets]]


def _creates_only(value: Any) -> bool:
    """True for a One2Many value made only of `create` commands."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(
            isinstance(command, list | tuple) and list(command[:1]) == ["create"]
            for command in value
        )
    )


def _rounds(requests: Sequence[WriteRequest]) -> list[list[_Target]]:
    """Split a batch so no round holds the same record twice; order per key is kept."""
    rounds: list[list[_Target]] = []
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for index, request in enumerate(requests):
        key = (request.object_name, request.key.describe())
        position = seen[key]
        seen[key] += 1
        if position == len(rounds):
            rounds.append([])
        rounds[position].append(_Target(index, request))
    return rounds
