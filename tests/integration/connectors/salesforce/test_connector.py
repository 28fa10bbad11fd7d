"""The Salesforce connector against the CRM sandbox: changes, reads, idempotent writes, errors."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass, FatalError, ThrottledError
from causeway.sandbox.faults import FaultPlan
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio


def upsert(tag: str, name: str, **fields: object) -> WriteRequest:
    return WriteRequest(
        object_name="Account",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="ERP_Customer_Number__c", external_value=tag),
        fields={"Name": name, **fields},
        idempotency_key=f"{tag}:{name}",
    )


async def test_full_read_pages_through_every_account(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce()
    try:
        ids: list[str] = []
        cursor = None
        while True:
            page = await connector.changes("Account", cursor, 7)
            ids += [record.id for record in page.records]
            cursor = page.cursor
            if not page.more:
                break
        assert len(ids) == len(set(ids))
        assert len(ids) >= len(sandbox.universe.crm_accounts)
    finally:
        await connector.aclose()


async def test_records_sharing_a_stamp_are_handed_out_once(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce()
    try:
        page = await connector.changes("Account", None, 2000)
        cursor = page.cursor
        tag = uuid.uuid4().hex[:8]
        # One collection call: one transaction, one SystemModstamp for all five.
        results = await connector.write([upsert(f"{tag}{n}", f"Shared {n}") for n in range(5)])
        assert all(result.ok and result.created for result in results)
        seen: list[str] = []
        while True:
            page = await connector.changes("Account", cursor, 2)
            seen += [record.id for record in page.records]
            cursor = page.cursor
            if not page.more:
                break
        assert sorted(seen) == sorted(str(result.system_id) for result in results)
        again = await connector.changes("Account", cursor, 10)
        assert again.records == []
    finally:
        await connector.aclose()


async def test_upsert_twice_updates_instead_of_duplicating(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce()
    try:
        tag = uuid.uuid4().hex[:10]
        first = await connector.write([upsert(tag, "Idempotent Ltd")])
        second = await connector.write([upsert(tag, "Idempotent Ltd", Phone="+1 555 0100")])
        assert first[0].created
        assert not second[0].created
        assert first[0].system_id == second[0].system_id
        [record] = await connector.read("Account", [str(first[0].system_id)])
        assert record.fields["Phone"] == "+1 555 0100"
    finally:
        await connector.aclose()


async def test_ambiguous_timeout_then_retry_creates_one_record(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce(timeout_s=1.0)
    tag = uuid.uuid4().hex[:10]
    try:
        await connector.changes("Account", None, 1)  # log in while the sandbox is healthy
        sandbox.set_faults("crm", FaultPlan(ambiguous_write_rate=1.0, ambiguous_delay_s=3))
        [lost] = await connector.write([upsert(tag, "Lost Answer GmbH")])
        assert lost.error is not None
        assert lost.error.ambiguous
        assert lost.error.error_class is ErrorClass.RETRYABLE
        sandbox.set_faults("crm", FaultPlan())
        await asyncio.sleep(2.5)  # the withheld answer times out on the server too
        [retried] = await connector.write([upsert(tag, "Lost Answer GmbH")])
        assert retried.ok
        assert not retried.created  # the first attempt had committed
    finally:
        sandbox.set_faults("crm", FaultPlan())
        await connector.aclose()


async def test_per_record_errors_name_the_field_and_do_not_hold_up_the_rest(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.salesforce()
    try:
        tag = uuid.uuid4().hex[:8]
        good = upsert(f"{tag}ok", "Good Record Inc")
        bad = upsert(f"{tag}bad", "Bad Record Inc", Bogus__c="x")
        results = await connector.write([good, bad])
        assert results[0].ok
        assert results[1].error is not None
        assert results[1].error.error_class is ErrorClass.INVALID
        assert "Bogus__c" in results[1].error.describe()
    finally:
        await connector.aclose()


async def test_503_and_429_are_classified_with_retry_after(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce()
    try:
        await connector.changes("Account", None, 1)  # log in while the sandbox is healthy
        sandbox.set_faults("crm", FaultPlan(error_rates={429: 1.0}, retry_after_s=4))
        with pytest.raises(ThrottledError) as caught:
            await connector.read("Account", ["001000000000000AAA"])
        assert caught.value.retry_after == 4
    finally:
        sandbox.set_faults("crm", FaultPlan())
        await connector.aclose()


async def test_bad_credentials_are_fatal(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce(client_secret="wrong")
    try:
        with pytest.raises(FatalError):
            await connector.changes("Account", None, 1)
    finally:
        await connector.aclose()


async def test_limit_info_is_tracked(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce()
    try:
        await connector.changes("Account", None, 1)
        usage = connector.client.usage
        assert usage.limit > 0
        assert 0 < usage.used <= usage.limit
    finally:
        await connector.aclose()
