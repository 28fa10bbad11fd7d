"""Many writes in few calls: reference lookups by filter, then `$batch` with one change set
per record.

Each record's write is its own change set, so the system applies or refuses it alone and a
refusal names that record and its field. The calls stay constant per batch, not per record:
one lookup query per 40 references or deep-updated keys (side by side), then one `$batch`
per `batch_parts` records. A record's several writes go out in waves (its first write in the
first wave, its second in the next), so they apply in order and a later write's lookup sees
an earlier create. Composed objects (contact persons) keep their own step-by-step path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from causeway.connectors.contract import WriteOperation, WriteRequest, WriteResult
from causeway.connectors.errors import (
    ConflictError,
    ConnectorError,
    InvalidRecordError,
    RetryableError,
)
from causeway.connectors.s4hana.batch_wire import (
    BatchFormatError,
    ChangeSet,
    Operation,
    PartAnswer,
    batch_body,
    read_answer,
)
from causeway.connectors.s4hana.catalogue import CONTACT_PERSON, EntitySpec, spec_for
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.deep_update import expand_paths, plan_patches
from causeway.connectors.s4hana.errors import SYSTEM, classify
from causeway.connectors.s4hana.odata import any_of, literal

LOOKUP_CHUNK = 40
"""Values per lookup query, as for reads by id: the URL stays well under 8 KB."""
_RESENDABLE = frozenset({"PATCH", "PUT", "MERGE"})
_NOT_IMPLEMENTED = 501

WriteOne = Callable[[WriteRequest], Awaitable[WriteResult]]


@dataclass
class _Plan:
    """One write on its way: what the lookups found, then the change set that applies it."""

    index: int
    request: WriteRequest
    spec: EntitySpec
    expand: tuple[str, ...]
    system_id: str | None = None
    current: dict[str, Any] | None = None

    @property
    def record_id(self) -> str:
        """The record as errors name it: its system id once known, else its reference."""
        return self.system_id or self.request.key.describe()


def waves(requests: Sequence[WriteRequest]) -> list[list[int]]:
    """Indexes by wave: the n-th write of every record goes in wave n."""
    lanes: dict[str, list[int]] = {}
    for index, request in enumerate(requests):
        lanes.setdefault(request.key.describe(), []).append(index)
    depth = max((len(lane) for lane in lanes.values()), default=0)
    return [[lane[n] for lane in lanes.values() if n < len(lane)] for n in range(depth)]


def for_record(error: ConnectorError, object_name: str, record_id: str) -> ConnectorError:
    """The same failure, naming one record of a call that carried many."""
    return type(error)(
        error.message,
        system=error.system,
        object_name=object_name,
        record_id=record_id,
        field=error.field,
        status=error.status,
        code=error.code,
        retry_after=error.retry_after,
        ambiguous=error.ambiguous,
    )


class BatchWriter:
    """Writes records through `$batch`; falls back to `one_by_one` where batching cannot go."""

    def __init__(self, client: S4Client, one_by_one: WriteOne) -> None:
        self.client = client
        self.one_by_one = one_by_one
        self.supported = True
        """False once the system answered 501 to a `$batch`: it has none."""

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One result per request, in order; a failure stays its record's."""
        results: dict[int, WriteResult] = {}
        lanes = asyncio.Semaphore(self.client.settings.concurrency)
        for wave in waves(requests):
            plans: list[_Plan] = []
            singles: list[int] = []
            for index in wave:
                request = requests[index]
                spec = spec_for(request.object_name)
                if spec.name == CONTACT_PERSON or not self.supported:
                    singles.append(index)
                    continue
                expand = () if request.operation is WriteOperation.DELETE else tuple(
                    expand_paths(request.fields)
                )
                plans.append(_Plan(index, request, spec, expand, request.key.system_id))
            await asyncio.gather(
                self._batched(plans, results, lanes),
                *(self._single(requests[index], index, results, lanes) for index in singles),
            )
        return [results[index] for index in range(len(requests))]

    async def _single(
        self,
        request: WriteRequest,
        index: int,
        results: dict[int, WriteResult],
        lanes: asyncio.Semaphore,
    ) -> None:
        async with lanes:
            try:
                results[index] = await self.one_by_one(request)
            except ConnectorError as error:
                results[index] = WriteResult(request, error=error)

    async def _batched(
        self, plans: list[_Plan], results: dict[int, WriteResult], lanes: asyncio.Semaphore
    ) -> None:
        await self._resolve(plans, results, lanes)
        by_service: dict[str, list[tuple[_Plan, ChangeSet]]] = {}
        for plan in plans:
            if plan.index in results:
                continue  # its lookup failed
            try:
                change_set = self._change_set(plan)
            except ConnectorError as error:
                results[plan.index] = WriteResult(plan.request, error=error)
                continue
            if not change_set:
                # Nothing differs (or nothing to write): no call, as on the one-by-one path.
                results[plan.index] = WriteResult(plan.request, system_id=plan.system_id)
                continue
            by_service.setdefault(plan.spec.service, []).append((plan, change_set))
        size = self.client.settings.batch_parts
        await asyncio.gather(
            *(
                self._send(service, items[start : start + size], results, lanes)
                for service, items in by_service.items()
                for start in range(0, len(items), size)
            )
        )

    async def _resolve(
        self, plans: list[_Plan], results: dict[int, WriteResult], lanes: asyncio.Semaphore
    ) -> None:
        """System ids of records written by reference, and the current state of records
        whose payload reaches into nested entities: a few filter queries for all of them."""
        queries: dict[tuple[str, str, tuple[str, ...], bool], list[_Plan]] = {}
        for plan in plans:
            key = plan.request.key
            if plan.request.operation is WriteOperation.DELETE:
                continue
            if key.system_id is not None:
                if plan.expand:
                    group = (plan.spec.name, plan.spec.key, plan.expand, False)
                    queries.setdefault(group, []).append(plan)
            elif key.external_field is not None:
                group = (plan.spec.name, key.external_field, plan.expand, True)
                queries.setdefault(group, []).append(plan)
        await asyncio.gather(
            *(
                self._lookup(field, expand, by_reference, chunk, results, lanes)
                for (_, field, expand, by_reference), group in queries.items()
                for chunk in _chunks(group, LOOKUP_CHUNK)
            )
        )

    async def _lookup(
        self,
        field: str,
        expand: tuple[str, ...],
        by_reference: bool,
        plans: list[_Plan],
        results: dict[int, WriteResult],
        lanes: asyncio.Semaphore,
    ) -> None:
        spec = plans[0].spec
        wanted = [_looked_up(plan, by_reference) for plan in plans]
        condition = any_of(field, sorted(set(wanted)))
        params = {"$filter": (spec.condition(condition) if by_reference else condition).text}
        if expand:
            params["$expand"] = ",".join(expand)
        else:
            params["$select"] = f"{spec.key},{field}"
        rows: list[dict[str, Any]] = []
        try:
            async with lanes:
                async for page in self.client.pages(
                    spec.service, spec.entity_set, params, object_name=spec.name
                ):
                    rows.extend(page)
        except ConnectorError as failed:
            for plan in plans:
                failure = for_record(failed, spec.name, plan.record_id)
                results[plan.index] = WriteResult(plan.request, error=failure)
            return
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(str(row.get(field)), []).append(row)
        for plan, value in zip(plans, wanted, strict=True):
            matches = found.get(value, [])
            if len(matches) > 1:
                keys = [str(row[spec.key]) for row in matches]
                error: ConnectorError = ConflictError(
                    f"{len(keys)} records carry the reference: {', '.join(keys[:5])}",
                    system=SYSTEM,
                    object_name=spec.name,
                    record_id=plan.request.key.describe(),
                    field=field,
                )
                results[plan.index] = WriteResult(plan.request, error=error)
            elif matches:
                plan.system_id = str(matches[0][spec.key])
                plan.current = matches[0] if expand else None
            elif not by_reference:
                error = InvalidRecordError(
                    f"Resource not found for segment '{_entity_path(spec, value)}'",
                    system=SYSTEM,
                    object_name=spec.name,
                    record_id=value,
                    status=404,
                )
                results[plan.index] = WriteResult(plan.request, error=error)

    def _change_set(self, plan: _Plan) -> ChangeSet:
        """The requests that apply one write, all or nothing."""
        request, spec = plan.request, plan.spec
        if request.operation is WriteOperation.DELETE:
            if plan.system_id is None:
                raise InvalidRecordError(
                    "a delete needs the record's system id",
                    system=SYSTEM,
                    object_name=spec.name,
                    record_id=plan.record_id,
                )
            return (Operation("DELETE", _entity_path(spec, plan.system_id)),)
        if plan.system_id is None:
            body = dict(request.fields)
            if request.key.external_field is not None:
                body[request.key.external_field] = request.key.external_value
            return (Operation("POST", spec.entity_set, body),)
        if not request.fields:
            return ()
        if not plan.expand:
            return (Operation("PATCH", _entity_path(spec, plan.system_id), dict(request.fields)),)
        patches = plan_patches(request.fields, plan.current or {}, "", plan.system_id)
        return tuple(
            Operation("PATCH", _below_service(patch.uri, spec.service), patch.fields)
            for patch in patches
        )

    async def _send(
        self,
        service: str,
        items: list[tuple[_Plan, ChangeSet]],
        results: dict[int, WriteResult],
        lanes: asyncio.Semaphore,
    ) -> None:
        """One `$batch` call; its answer parts become the records' results."""
        body, content_type = batch_body([change_set for _, change_set in items])
        resend = all(op.method in _RESENDABLE for _, change_set in items for op in change_set)
        try:
            async with lanes:
                response = await self.client.batch(service, body, content_type, resend=resend)
            answers = read_answer(response.headers.get("content-type", ""), response.content)
            if len(answers) != len(items):
                raise BatchFormatError(f"{len(answers)} answers to {len(items)} change sets")
        except ConnectorError as error:
            if error.status == _NOT_IMPLEMENTED:
                # The system has no $batch; nothing of this call was applied.
                self.supported = False
                await asyncio.gather(
                    *(self._single(plan.request, plan.index, results, lanes) for plan, _ in items)
                )
                return
            self._fail_all(items, error, results)
            return
        except BatchFormatError as error:
            unreadable = RetryableError(
                f"the $batch answer could not be read: {error}",
                system=SYSTEM,
                ambiguous=not resend,
            )
            self._fail_all(items, unreadable, results)
            return
        for (plan, change_set), answer in zip(items, answers, strict=True):
            results[plan.index] = self._outcome(plan, change_set, answer)

    @staticmethod
    def _fail_all(
        items: list[tuple[_Plan, ChangeSet]], error: ConnectorError, results: dict[int, WriteResult]
    ) -> None:
        for plan, _ in items:
            failure = for_record(error, plan.spec.name, plan.record_id)
            results[plan.index] = WriteResult(plan.request, error=failure)

    @staticmethod
    def _outcome(plan: _Plan, change_set: ChangeSet, answer: list[PartAnswer]) -> WriteResult:
        spec, request = plan.spec, plan.request
        failed = next((part for part in answer if part.status >= 300), None)
        if failed is not None:
            error = classify(
                failed.status,
                failed.json(),
                headers=failed.headers,
                object_name=spec.name,
                record_id=plan.record_id,
                write=True,
            )
            return WriteResult(request, error=error)
        if len(answer) != len(change_set):
            error = RetryableError(
                f"{len(answer)} answers to a change set of {len(change_set)} requests",
                system=SYSTEM,
                object_name=spec.name,
                record_id=plan.record_id,
                ambiguous=True,
            )
            return WriteResult(request, error=error)
        if change_set[0].method == "POST":
            created = answer[0].json()
            entity = created.get("d") if isinstance(created, dict) else None
            key = entity.get(spec.key) if isinstance(entity, dict) else None
            return WriteResult(request, system_id=None if key is None else str(key), created=True)
        return WriteResult(request, system_id=plan.system_id)


def _chunks(plans: list[_Plan], size: int) -> list[list[_Plan]]:
    return [plans[start : start + size] for start in range(0, len(plans), size)]


def _looked_up(plan: _Plan, by_reference: bool) -> str:
    key = plan.request.key
    value = key.external_value if by_reference else key.system_id
    if value is None:
        raise AssertionError("a lookup without a value")  # grouped by what the key holds
    return value


def _entity_path(spec: EntitySpec, key: str) -> str:
    return f"{spec.entity_set}({literal(key)})"


def _below_service(uri: str, service: str) -> str:
    """A URI the service handed out (`__metadata.uri`), relative to the service root."""
    marker = f"/{service}/"
    at = uri.find(marker)
    return uri[at + len(marker) :] if at >= 0 else uri
