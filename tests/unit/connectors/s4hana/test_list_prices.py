"""Which condition record stands for a list price, and which records are not list prices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from causeway.connectors.s4hana.list_prices import (
    current,
    key_text,
    list_price_key,
    parse_key,
    skip_reason,
)

TODAY = date(2026, 6, 15)


def _date(day: date) -> str:
    millis = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return f"/Date({millis})/"


def _record(number: str, start: date, end: date, **extra: Any) -> dict[str, Any]:
    return {
        "ConditionRecord": number,
        "ConditionValidityStartDate": _date(start),
        "ConditionValidityEndDate": _date(end),
        "ConditionIsDeleted": False,
        "YY1_LastChangeDateTime": "/Date(1700000000000+0000)/",
        **extra,
    }


def test_the_record_in_force_today_stands_for_the_price() -> None:
    last_year = _record("1", date(2025, 1, 1), date(2025, 12, 31))
    this_year = _record("2", date(2026, 1, 1), date(2026, 12, 31))
    next_year = _record("3", date(2027, 1, 1), date(9999, 12, 31))
    assert current([last_year, next_year, this_year], TODAY)["ConditionRecord"] == "2"


def test_without_one_in_force_the_latest_changed_stands() -> None:
    deleted = _record(
        "4", date(2026, 1, 1), date(9999, 12, 31), ConditionIsDeleted=True,
        YY1_LastChangeDateTime="/Date(1800000000000+0000)/",
    )
    expired = _record("5", date(2020, 1, 1), date(2020, 12, 31))
    assert current([expired, deleted], TODAY)["ConditionRecord"] == "4"


def test_customer_prices_and_keyless_records_are_skipped_with_a_reason() -> None:
    def row(**validity: Any) -> dict[str, Any]:
        return {
            "ConditionRecord": "9",
            "ConditionRateValueUnit": "USD",
            "to_SlsPrcgCndnRecdValidity": {"results": [validity]},
        }

    area = {"SalesOrganization": "1010", "DistributionChannel": "10"}
    customer = row(**area, Material="M-1", Customer="10000001")
    keyless = row(**area)
    assert list_price_key(customer) is None
    assert list_price_key(keyless) is None
    assert "customer-specific price for customer 10000001" in str(skip_reason(customer))
    assert "material" in str(skip_reason(keyless))
    expected = ("1010", "10", "USD", "M-1")
    assert list_price_key(row(**area, Material="M-1", Customer="")) == expected

def test_ids_round_trip_even_with_slashes_in_the_material() -> None:
    key = ("1010", "10", "USD", "PUMP/80")
    assert key_text(key) == "1010/10/USD/PUMP/80"
    assert parse_key(key_text(key)) == key
    with pytest.raises(ValueError, match="organization/channel/currency/material"):
        parse_key("1010/10/MAT-1")
