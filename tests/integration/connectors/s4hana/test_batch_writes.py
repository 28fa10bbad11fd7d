"""Batched writes against the ERP sandbox: one $batch per hundred records, failures per record,
throttling and outages for the whole call, a record's writes in order, pacing."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from causeway.connectors.s4hana.connector import S4Connector
from causeway.sandbox.faults import FaultPlan, OutageWindow
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio


def partner(reference: str, name: str) -> WriteRequest:
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=reference),
        fields={
            "BusinessPartnerCategory": "2",
            "BusinessPartnerGrouping": "BP02",
            "OrganizationBPName1": name,
        },
        idempotency_key=f"{reference}:{name}",
    )


def references(count: int) -> list[str]:
    return [uuid.uuid4().hex[:16].upper() for _ in range(count)]


def count_calls(connector: S4Connector) -> Counter[str]:
    """Calls by kind: "token", "$batch", or the entity set read."""
    calls: Counter[str] = Counter()

    async def seen(request: httpx.Request) -> None:
        if request.headers.get("x-csrf-token") == "Fetch":
            calls["token"] += 1
        else:
            calls[request.url.path.rsplit("/", 1)[-1]] += 1

    connector.client._http.event_hooks["request"].append(seen)
    return calls


def change_documents(sandbox: Sandboxes, partner_id: str) -> list[dict[str, Any]]:
    settings = sandbox.running.erp_settings
    assert settings is not None
    response = httpx.get(
        f"{sandbox.erp_url}/__admin/change-documents/A_BusinessPartner",
        params={"key": partner_id},
        headers={"Authorization": f"Bearer {settings.admin_token}"},
    )
    response.raise_for_status()
    documents: list[dict[str, Any]] = response.json()
    return documents


async def names(connector: S4Connector, ids: list[str]) -> dict[str, str]:
    records = await connector.read("A_BusinessPartner", ids)
    return {record.id: record.fields["OrganizationBPName1"] for record in records}


async def test_a_hundred_creates_go_in_one_batch(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    calls = count_calls(connector)
    refs = references(100)
    try:
        results = await connector.write([partner(ref, f"Batch {ref}") for ref in refs])
        assert len(results) == 100
        assert all(r.ok and r.created for r in results), [r.error for r in results if r.error]
        assert [r.request.key.external_value for r in results] == refs
        ids = [str(r.system_id) for r in results]
        assert len(set(ids)) == 100
        assert calls["$batch"] == 1
        assert calls["A_BusinessPartner"] == 3  # reference lookups, 40 per query
        stored = await names(connector, ids)
        assert stored == {r.system_id: f"Batch {ref}" for r, ref in zip(results, refs, strict=True)}
        # The same records again: found by reference and updated, nothing created twice.
        again = await connector.write([partner(ref, f"Again {ref}") for ref in refs])
        assert all(r.ok and not r.created for r in again)
        assert [r.system_id for r in again] == [r.system_id for r in results]
        assert calls["$batch"] == 2
    finally:
        await connector.aclose()


async def test_one_bad_record_fails_alone_naming_record_and_field(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    refs = references(20)
    writes = [partner(ref, f"Good {ref}") for ref in refs]
    writes[7] = partner(refs[7], "X" * 80)  # OrganizationBPName1 has MaxLength 40
    try:
        results = await connector.write(writes)
        failed = [r for r in results if not r.ok]
        assert [r.request for r in failed] == [writes[7]]
        error = failed[0].error
        assert error is not None
        assert error.error_class is ErrorClass.INVALID
        assert error.field == "OrganizationBPName1"
        assert error.record_id == f"SearchTerm2={refs[7]}"
        assert f"SearchTerm2={refs[7]} field OrganizationBPName1" in error.describe()
        assert sum(r.ok for r in results) == 19
    finally:
        await connector.aclose()


async def test_a_records_writes_apply_in_order(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    [ref, other] = references(2)
    try:
        results = await connector.write(
            [partner(ref, "First"), partner(other, "Other"), partner(ref, "Second"),
             partner(ref, "Third")]
        )
        assert all(r.ok for r in results), [r.error for r in results]
        assert [r.created for r in results] == [True, True, False, False]
        assert results[0].system_id == results[2].system_id == results[3].system_id
        documents = change_documents(sandbox, str(results[0].system_id))
        assert [d["body"]["OrganizationBPName1"] for d in documents] == [
            "First", "Second", "Third"
        ]
    finally:
        await connector.aclose()


async def test_a_throttle_storm_throttles_records_and_loses_none(sandbox: Sandboxes) -> None:
    # A spike arrest on writes only: one $batch gets through, the rest are refused with 429.
    limit = {"requests_per_second": 0.2, "burst": 1, "writes_only": True}
    connector = sandbox.s4(batch_parts=10)
    refs = references(60)
    writes = [partner(ref, f"Storm {ref}") for ref in refs]
    try:
        sandbox.set_faults("erp", FaultPlan.model_validate({"rate_limit": limit}))
        results = await connector.write(writes)
        throttled = [r for r in results if not r.ok]
        assert sum(r.ok for r in results) == 10
        assert len(throttled) == 50
        for result in throttled:
            assert result.error is not None
            assert result.error.error_class is ErrorClass.THROTTLED
            assert result.error.retry_after is not None
            assert result.error.retry_after >= 1
            assert result.error.record_id == result.request.key.describe()
        sandbox.set_faults("erp", FaultPlan())
        retried = await connector.write([r.request for r in throttled])
        assert all(r.ok and r.created for r in retried), [r.error for r in retried if r.error]
        everything = await connector.write(writes)
        assert all(r.ok and not r.created for r in everything)
        assert len({r.system_id for r in everything}) == 60
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()


async def test_an_outage_fails_the_batch_retryably_then_it_goes_through(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.s4()
    refs = references(30)
    writes = [partner(ref, f"Outage {ref}") for ref in refs]
    try:
        await connector.write([partner(references(1)[0], "Before Outage")])  # token in hand
        now = datetime.now(UTC)
        window = OutageWindow(start=now, end=now + timedelta(minutes=5), status=503)
        sandbox.set_faults("erp", FaultPlan(outages=[window], retry_after_s=3))
        down = await connector.write(writes)
        for result in down:
            assert result.error is not None
            assert result.error.error_class is ErrorClass.RETRYABLE
            assert result.error.retry_after == 3
        sandbox.set_faults("erp", FaultPlan())
        back = await connector.write(writes)
        assert all(r.ok and r.created for r in back), [r.error for r in back if r.error]
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()


async def test_an_expired_token_is_fetched_again_for_a_batch(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    calls = count_calls(connector)
    try:
        [first] = await connector.write([partner(references(1)[0], "Token Batch One")])
        assert first.ok, first.error
        connector.client._http.cookies.clear()  # the server forgets the session
        results = await connector.write([partner(ref, "Token Batch") for ref in references(5)])
        assert all(r.ok for r in results), [r.error for r in results]
        assert calls["token"] == 2
        assert calls["$batch"] == 3  # the refused one, sent again with the new token
    finally:
        await connector.aclose()


async def test_paced_batches_stay_under_the_spike_arrest(sandbox: Sandboxes) -> None:
    limit = {"requests_per_second": 4, "burst": 2}
    connector = sandbox.s4(calls_per_second=3, burst=1, batch_parts=10)
    try:
        sandbox.set_faults("erp", FaultPlan.model_validate({"rate_limit": limit}))
        refused = sandbox.admin_get("erp", "/faults")["injected"].get("rate_limited", 0)
        results = await connector.write([partner(ref, "Paced Batch") for ref in references(80)])
        assert all(r.ok for r in results), [r.error for r in results if r.error]
        state = sandbox.admin_get("erp", "/faults")
        assert state["injected"].get("rate_limited", 0) == refused  # none refused since
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()


async def test_batch_off_writes_each_record_with_its_own_calls(sandbox: Sandboxes) -> None:
    connector = sandbox.s4(batch=False)
    calls = count_calls(connector)
    try:
        results = await connector.write([partner(ref, "One By One") for ref in references(5)])
        assert all(r.ok and r.created for r in results)
        assert calls["$batch"] == 0
        assert calls["A_BusinessPartner"] == 10  # a lookup and a POST each
    finally:
        await connector.aclose()


async def test_a_deep_upsert_by_reference_creates_then_patches_the_address(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.s4()
    calls = count_calls(connector)
    refs = references(3)

    def deep(ref: str, city: str) -> WriteRequest:
        request = partner(ref, f"Deep {ref}")
        address = {"CityName": city, "PostalCode": "20457", "Country": "DE"}
        return WriteRequest(
            request.object_name,
            request.operation,
            request.key,
            {**request.fields, "to_BusinessPartnerAddress": [address]},
            request.idempotency_key,
        )

    try:
        created = await connector.write([deep(ref, "Hamburg") for ref in refs])
        assert all(r.ok and r.created for r in created), [r.error for r in created]
        moved = await connector.write([deep(ref, "Bremen") for ref in refs])
        assert all(r.ok and not r.created for r in moved), [r.error for r in moved]
        assert [r.system_id for r in moved] == [r.system_id for r in created]
        assert calls["$batch"] == 2
        records = await connector.read("A_BusinessPartner", [str(r.system_id) for r in moved])
        cities = {r.fields["to_BusinessPartnerAddress"]["results"][0]["CityName"] for r in records}
        assert cities == {"Bremen"}
    finally:
        await connector.aclose()
