"""The outlet buffers envelopes, publishes them in batches and pushes back when full."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import Connection

from causeway.runtime.envelope import Envelope
from causeway.runtime.errors import BackpressureError
from causeway.runtime.outlet import Outlet


class GatedStore:
    """Records publishes; blocks them until the gate opens, like a stalled database."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()

    def publish(
        self, topic: str, envelopes: Sequence[Envelope], *, connection: Connection | None = None
    ) -> list[str]:
        self.gate.wait(5)
        self.batches.append((topic, [item.key for item in envelopes]))
        return [item.id for item in envelopes]


def change(key: str) -> Envelope:
    return Envelope(kind="change", source="crm", entity="customer", key=key)


def test_envelopes_are_published_in_order_and_in_batches() -> None:
    store = GatedStore()

    async def scenario() -> None:
        async with Outlet(store, batch_size=3) as outlet:  # type: ignore[arg-type]
            for n in range(7):
                await outlet.put("crm.changes", change(str(n)))
            await outlet.put("erp.changes", change("x"))
            await outlet.flush()
            assert outlet.depth == 0

    asyncio.run(scenario())
    keys = [key for topic, batch in store.batches if topic == "crm.changes" for key in batch]
    assert keys == [str(n) for n in range(7)]
    assert max(len(batch) for _, batch in store.batches) <= 3
    assert ("erp.changes", ["x"]) in store.batches


def test_put_blocks_at_the_high_water_mark_and_gives_up_after_its_timeout() -> None:
    store = GatedStore()
    store.gate.clear()

    async def scenario() -> None:
        async with Outlet(store, high_water=4, batch_size=2) as outlet:  # type: ignore[arg-type]
            for n in range(4):
                await outlet.put("crm.changes", change(str(n)), timeout=1)
            with pytest.raises(BackpressureError, match="high-water mark 4"):
                await outlet.put("crm.changes", change("late"), timeout=0.05)
            store.gate.set()
            await outlet.put("crm.changes", change("late"), timeout=5)
            await outlet.flush()

    asyncio.run(scenario())
    keys = [key for _, batch in store.batches for key in batch]
    assert keys == ["0", "1", "2", "3", "late"]
