"""Change polling: new and updated records once, in order, across pages and shared stamps."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from causeway.connectors.contract import RawRecord, WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import FatalError
from causeway.connectors.tryton import TrytonConnector

pytestmark = [pytest.mark.anyio, pytest.mark.services, pytest.mark.slow]

# The server clock is read from the HTTP Date header, which has whole seconds only.
CLOCK_GRANULARITY = 1.1


async def drain(
    connector: TrytonConnector, cursor: str | None, limit: int
) -> tuple[list[RawRecord], str | None, list[int]]:
    """Poll page after page until the connector says there is no more; page sizes too."""
    records: list[RawRecord] = []
    sizes: list[int] = []
    while True:
        page = await connector.changes("party.party", cursor, limit)
        records += page.records
        sizes.append(len(page.records))
        cursor = page.cursor or cursor
        if not page.more:
            return records, cursor, sizes


def sort_key(record: RawRecord) -> tuple[object, int]:
    return record.modified_at, int(record.id)


async def test_batch_sharing_one_timestamp_is_paged_without_skips_or_repeats(
    connector: TrytonConnector,
) -> None:
    # Let earlier tests' writes settle, so the drain below takes them all.
    await asyncio.sleep(CLOCK_GRANULARITY)
    _, cursor, _ = await drain(connector, None, 500)
    tag = uuid.uuid4().hex[:8]
    batch = [
        WriteRequest(
            object_name="party.party",
            operation=WriteOperation.UPSERT,
            key=WriteKey(external_field="code", external_value=f"{tag}-{n}"),
            fields={"name": f"Batch {n}"},
            idempotency_key=f"{tag}-{n}",
        )
        for n in range(5)
    ]
    created = await connector.write(batch)
    created_ids = [str(result.system_id) for result in created]
    await asyncio.sleep(CLOCK_GRANULARITY)

    records, cursor, sizes = await drain(connector, cursor, 2)

    assert [record.id for record in records] == created_ids
    assert len({record.modified_at for record in records}) == 1  # one transaction, one stamp
    assert sizes == [2, 2, 1]

    # Update the 2nd and 4th: only they come back, in id order, and then nothing more.
    renamed = [
        WriteRequest(
            object_name="party.party",
            operation=WriteOperation.UPDATE,
            key=WriteKey(system_id=created_ids[index]),
            fields={"name": f"Renamed {index}"},
            idempotency_key=f"{tag}-rename-{index}",
        )
        for index in (3, 1)
    ]
    assert all(result.ok for result in await connector.write(renamed))
    await asyncio.sleep(CLOCK_GRANULARITY)

    again, cursor, _ = await drain(connector, cursor, 1)
    assert [record.id for record in again] == [created_ids[1], created_ids[3]]
    assert [record.fields["name"] for record in again] == ["Renamed 1", "Renamed 3"]
    assert again[0].modified_at is not None
    assert records[0].modified_at is not None
    assert again[0].modified_at > records[0].modified_at

    empty = await connector.changes("party.party", cursor, 10)
    assert empty.records == []
    assert empty.cursor == cursor
    assert not empty.more


async def test_polling_from_the_start_hands_out_records_in_watermark_order(
    connector: TrytonConnector,
) -> None:
    records, _, _ = await drain(connector, None, 3)

    assert records, "the template holds at least the company's party"
    assert records == sorted(records, key=sort_key)
    assert len({record.id for record in records}) == len(records)
    assert all(record.object_name == "party.party" for record in records)


async def test_the_settle_interval_holds_back_fresh_changes(connector: TrytonConnector) -> None:
    _, cursor, _ = await drain(connector, None, 500)
    held_back = TrytonConnector(connector.settings.model_copy(update={"settle_seconds": 3600}))
    try:
        await connector.write(
            [
                WriteRequest(
                    object_name="party.party",
                    operation=WriteOperation.UPSERT,
                    key=WriteKey(external_field="code", external_value=uuid.uuid4().hex),
                    fields={"name": "Too fresh"},
                    idempotency_key="fresh",
                )
            ]
        )
        page = await held_back.changes("party.party", cursor, 10)
    finally:
        await held_back.aclose()

    assert page.records == []


async def test_a_foreign_cursor_is_refused(connector: TrytonConnector) -> None:
    with pytest.raises(FatalError, match="cursor"):
        await connector.changes("party.party", "not-a-cursor", 10)
