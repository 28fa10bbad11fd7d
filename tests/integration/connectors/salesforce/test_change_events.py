"""The Salesforce change feed on change events: catch-up, events with origins, deletes, and
the fallback to polling when the replay id has expired."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from causeway.connectors.contract import ChangePage, WriteKey, WriteOperation, WriteRequest
from causeway.connectors.salesforce.change_events import FeedCursor
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.sandbox.seed import SeedConfig
from tests.support.sandboxes import Sandboxes, sandboxes

pytestmark = pytest.mark.anyio


async def drain(connector: SalesforceConnector, cursor: str | None) -> tuple[list[str], str]:
    """Every record id handed out until the feed says there is no more, and the cursor."""
    ids: list[str] = []
    while True:
        page: ChangePage = await connector.changes("Account", cursor, 5)
        ids += [record.id for record in page.records]
        cursor = page.cursor
        if not page.more:
            assert cursor is not None
            return ids, cursor


def account(name: str) -> WriteRequest:
    tag = uuid.uuid4().hex[:10]
    return WriteRequest(
        "Account",
        WriteOperation.UPSERT,
        WriteKey(external_field="ERP_Customer_Number__c", external_value=tag),
        {"Name": name},
        tag,
    )


async def test_catch_up_then_events_with_origins_and_deletes(sandbox: Sandboxes) -> None:
    feed = sandbox.salesforce(change_source="events")
    user = sandbox.salesforce(client_name="sales-rep")
    try:
        everything, cursor = await drain(feed, None)
        assert len(everything) == len(set(everything)) >= len(sandbox.universe.crm_accounts)
        assert FeedCursor.decode(cursor) is not None
        assert FeedCursor.decode(cursor).mode == "events"  # type: ignore[union-attr]

        [created] = await user.write([account("Event Driven Ltd")])
        assert created.ok, created.error
        page = await feed.changes("Account", cursor, 100)
        [record] = page.records
        assert record.id == created.system_id
        assert record.origin is not None
        assert "client=sales-rep" in record.origin

        [ours] = await feed.write(
            [
                WriteRequest(
                    "Account",
                    WriteOperation.UPDATE,
                    WriteKey(system_id=str(created.system_id)),
                    {"Phone": "+1 555 0100"},
                    "ours",
                )
            ]
        )
        assert ours.ok, ours.error
        [deleted] = await user.write(
            [
                WriteRequest(
                    "Account",
                    WriteOperation.DELETE,
                    WriteKey(system_id=str(created.system_id)),
                    {},
                    "gone",
                )
            ]
        )
        assert deleted.ok, deleted.error
        later = await feed.changes("Account", page.cursor, 100)
        # Two events name the record; it is handed out once, in its current (deleted) state,
        # tagged with the origin of its latest change.
        [gone] = later.records
        assert gone.deleted
        assert "client=sales-rep" in (gone.origin or "")
        assert not later.more
        quiet = await feed.changes("Account", later.cursor, 100)
        assert quiet.records == []
    finally:
        await feed.aclose()
        await user.aclose()


async def test_an_expired_replay_id_falls_back_to_polling_without_losing_a_change(
    tmp_path: Path,
) -> None:
    with sandboxes(tmp_path, SeedConfig(accounts=5, erp_customers=0, products=0)) as boxes:
        feed = boxes.salesforce(change_source="events")
        user = boxes.salesforce(client_name="sales-rep")
        try:
            _, cursor = await drain(feed, None)
            assert boxes.running.crm is not None
            boxes.running.crm.app_state.crm.events.retention = 3
            results = await user.write([account(f"Away {n} Ltd") for n in range(6)])
            assert all(result.ok for result in results)
            created = {str(result.system_id) for result in results}
            # Six events, three retained: the cursor's replay id is gone.
            seen, cursor = await drain(feed, cursor)
            assert created <= set(seen)
            state = FeedCursor.decode(cursor)
            assert state is not None
            assert state.mode == "events"  # back on events once caught up
        finally:
            await feed.aclose()
            await user.aclose()


async def test_a_record_changed_just_before_the_first_read_is_not_skipped(
    sandbox: Sandboxes,
) -> None:
    """Polls hold back the last seconds; the catch-up must not hand over to events (which
    only replay changes after the tip) before it has read past them."""
    user = sandbox.salesforce(client_name="sales-rep")
    feed = SalesforceConnector(sandbox.salesforce_settings(), settle=timedelta(seconds=2))
    try:
        [created] = await user.write([account("Just Before The Tip")])
        first, cursor = await drain(feed, None)
        assert created.system_id not in first  # still inside the settle interval
        assert FeedCursor.decode(cursor).mode == "catchup"  # type: ignore[union-attr]
        await asyncio.sleep(2.5)
        later, cursor = await drain(feed, cursor)
        assert created.system_id in later
        assert FeedCursor.decode(cursor).mode == "events"  # type: ignore[union-attr]
    finally:
        await user.aclose()
        await feed.aclose()
