"""Incremental changes: nothing skipped or repeated when many records share a timestamp."""

from __future__ import annotations

from datetime import timedelta

import pytest

from causeway.connectors.contract import RawRecord
from causeway.connectors.rest import RestConnector
from tests.integration.connectors.rest.app import T0, Helpdesk, stamp
from tests.integration.connectors.rest.conftest import Build

pytestmark = pytest.mark.anyio


async def drain(
    connector: RestConnector, cursor: str | None, limit: int
) -> tuple[list[RawRecord], str | None, list[int]]:
    records: list[RawRecord] = []
    sizes: list[int] = []
    while True:
        page = await connector.changes("tickets", cursor, limit)
        records += page.records
        sizes.append(len(page.records))
        cursor = page.cursor or cursor
        if not page.more:
            return records, cursor, sizes


@pytest.mark.parametrize("style", ["cursor", "offset", "link"])
async def test_shared_timestamps_are_paged_without_skips_or_repeats(
    helpdesk: Helpdesk, build: Build, style: str
) -> None:
    shared = T0 + timedelta(minutes=5)
    # Listed by id, so the API's order is not the time order.
    times = [shared, T0, shared, shared + timedelta(seconds=1), shared, shared, T0]
    for n, moment in enumerate(times):
        helpdesk.add(moment, subject=f"Ticket {n}")
    connector = await build(style=style)

    records, cursor, sizes = await drain(connector, None, 2)

    expected = sorted(range(1, 8), key=lambda n: (times[n - 1], n))
    assert [int(record.id) for record in records] == expected
    assert sizes == [2, 2, 2, 1]

    # Two more at the shared time with higher ids, and one edit: only those come back.
    helpdesk.add(shared, subject="Late 1")
    helpdesk.add(shared, subject="Late 2")
    helpdesk.tickets[2]["updated_at"] = stamp(shared + timedelta(seconds=2))
    again, cursor, _ = await drain(connector, cursor, 1)
    assert [record.id for record in again] == ["2"]  # 8 and 9 are before the watermark
    assert all(query.get("updated_since") for query in helpdesk.queries[-2:])


async def test_late_records_at_the_watermark_time_are_not_lost(
    helpdesk: Helpdesk, build: Build
) -> None:
    shared = T0 + timedelta(minutes=5)
    for n in range(3):
        helpdesk.add(shared, subject=f"Ticket {n}")
    connector = await build()
    first = await connector.changes("tickets", None, 10)
    assert [record.id for record in first.records] == ["1", "2", "3"]
    assert not first.more
    helpdesk.add(shared, subject="Same second, committed later")
    second = await connector.changes("tickets", first.cursor, 10)
    assert [record.id for record in second.records] == ["4"]
    third = await connector.changes("tickets", second.cursor, 10)
    assert third.records == []
    assert third.cursor == second.cursor


async def test_settle_interval_holds_back_young_changes(helpdesk: Helpdesk, build: Build) -> None:
    helpdesk.add(T0, subject="old")
    connector = await build()
    young = T0 + timedelta(hours=1)
    helpdesk.add(young, subject="young")
    resource = connector.config.resources["tickets"]
    assert resource.incremental is not None
    connector.config.resources["tickets"] = resource.model_copy(
        update={"incremental": resource.incremental.model_copy(update={"settle_s": 60.0})}
    )
    connector._clock = lambda: young + timedelta(seconds=30)
    page = await connector.changes("tickets", None, 10)
    assert [record.fields["subject"] for record in page.records] == ["old"]
