from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.connectors.s4hana.odata import (
    ODataError,
    any_of,
    compare,
    format_datetime,
    literal,
    parse_datetime,
    parse_time,
    property_name,
    starts_with,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (False, "false"),
        (7, "7"),
        (Decimal("12.50"), "12.50M"),
        ("O'Brien", "'O''Brien'"),
        (date(2024, 1, 31), "datetime'2024-01-31T00:00:00'"),
        (datetime(2024, 1, 31, 8, 30), "datetime'2024-01-31T08:30:00'"),
        (datetime(2024, 1, 31, 8, 30, tzinfo=UTC), "datetimeoffset'2024-01-31T08:30:00.000Z'"),
        (time(10, 30, 5), "time'PT10H30M05S'"),
        (UUID(int=1), "guid'00000000-0000-0000-0000-000000000001'"),
    ],
)
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


@given(st.text())
def test_string_literals_never_close_early(text: str) -> None:
    body = literal(text)[1:-1]
    assert body.replace("''", "").count("'") == 0


@pytest.mark.parametrize("name", ["a b", "X eq 1 or", "", "1A", "to_Item/", "A;B"])
def test_bad_property_names(name: str) -> None:
    with pytest.raises(ODataError):
        property_name(name)


def test_filters_compose() -> None:
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    combined = compare("LastChangeDateTime", "gt", moment) & (
        starts_with("CustomerName", "Ac'me") | any_of("SalesOrder", ["1", "2"])
    )
    assert combined.text == (
        "(LastChangeDateTime gt datetimeoffset'2024-05-01T00:00:00.000Z' and "
        "(startswith(CustomerName,'Ac''me') or (SalesOrder eq '1' or SalesOrder eq '2')))"
    )
    with pytest.raises(ODataError):
        compare("A", "like", 1)
    with pytest.raises(ODataError):
        any_of("A", [])


def test_dates_and_times_from_the_wire() -> None:
    assert parse_datetime("/Date(1714521600000)/") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_datetime("/Date(1714521600000+0000)/") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_datetime(None) is None
    assert parse_time("PT10H30M05S") == time(10, 30, 5)
    assert parse_time("PT0H0M0.5S") == time(0, 0, 0, 500000)
    with pytest.raises(ODataError):
        parse_time("10:30")
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_datetime(format_datetime(moment)) == moment
