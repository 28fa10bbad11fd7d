"""The SQLite store: typed round trips, lookups, transactions and number ranges."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from causeway.sandbox.erp.services.sales_order import SALES_ORDER
from causeway.sandbox.erp.store import DuplicateKeyError, Store
from causeway.sandbox.erp.writes import blank_record


def _order(number: str, customer: str, status: str = "A") -> dict[str, object]:
    return blank_record(SALES_ORDER) | {
        "SalesOrder": number,
        "SoldToParty": customer,
        "TotalNetAmount": Decimal("10.50"),
        "LastChangeDateTime": datetime(2024, 5, 1, 12, tzinfo=UTC),
        "OverallTotalDeliveryStatus": status,
    }


def test_typed_values_round_trip() -> None:
    store = Store(":memory:")
    store.insert(SALES_ORDER, _order("1", "C1"))
    loaded = store.get(SALES_ORDER, ("1",))
    assert loaded is not None
    assert loaded["TotalNetAmount"] == Decimal("10.50")
    assert loaded["LastChangeDateTime"] == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_find_by_equal_and_unequal_values() -> None:
    store = Store(":memory:")
    for number, customer, status in (("1", "C1", "A"), ("2", "C1", "C"), ("3", "C2", "A")):
        store.insert(SALES_ORDER, _order(number, customer, status))
    open_for_c1 = store.find(
        SALES_ORDER, {"SoldToParty": "C1"}, {"OverallTotalDeliveryStatus": "C"}
    )
    assert [order["SalesOrder"] for order in open_for_c1] == ["1"]
    with pytest.raises(KeyError):
        store.find(SALES_ORDER, {"NoSuchProperty": "x"})


def _failing_write(store: Store) -> None:
    with store.transaction():
        store.insert(SALES_ORDER, _order(str(store.next_number("SalesOrder", 1)), "C1"))
        raise RuntimeError("pricing failed")


def test_transaction_rolls_back_every_write_and_number() -> None:
    store = Store(":memory:")
    with pytest.raises(RuntimeError):
        _failing_write(store)
    assert store.scan(SALES_ORDER) == []
    assert store.next_number("SalesOrder", 1) == 1


def test_duplicate_keys_are_refused() -> None:
    store = Store(":memory:")
    store.insert(SALES_ORDER, _order("1", "C1"))
    with pytest.raises(DuplicateKeyError):
        store.insert(SALES_ORDER, _order("1", "C2"))


def test_file_store_keeps_numbers_and_settings(tmp_path: Path) -> None:
    path = str(tmp_path / "erp.sqlite")
    first = Store(path)
    assert first.next_number("BillingDocument", 90_000_001) == 90_000_001
    first.put_setting("clock.now", "2030-01-01T00:00:00+00:00")
    first.close()
    second = Store(path)
    assert second.next_number("BillingDocument", 90_000_001) == 90_000_002
    assert second.setting("clock.now") == "2030-01-01T00:00:00+00:00"
    second.close()
