"""OData v2 JSON value encoding: /Date()/, durations, decimals, and decoding errors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.sandbox.erp.model import Property, date, decimal, text, timestamp
from causeway.sandbox.erp.odata_json import (
    ValueFormatError,
    date_to_json,
    datetimeoffset_to_json,
    from_json,
    parse_duration,
    parse_json_date,
    time_to_json,
    to_json,
)

MOMENTS = st.datetimes(
    min_value=datetime(1753, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def test_epoch_and_known_values() -> None:
    assert date_to_json(datetime(1970, 1, 1, tzinfo=UTC)) == "/Date(0)/"
    assert date_to_json(datetime(2024, 1, 1, tzinfo=UTC)) == "/Date(1704067200000)/"
    assert datetimeoffset_to_json(datetime(2024, 1, 1, tzinfo=UTC)) == "/Date(1704067200000+0000)/"
    assert time_to_json(time(10, 30)) == "PT10H30M00S"


@given(MOMENTS)
def test_dates_round_trip(moment: datetime) -> None:
    assert parse_json_date(date_to_json(moment)) == moment
    assert parse_json_date(datetimeoffset_to_json(moment)) == moment


@given(st.times().map(lambda value: value.replace(microsecond=0)))
def test_times_round_trip(value: time) -> None:
    assert parse_duration(time_to_json(value)) == value


def test_dates_before_the_epoch() -> None:
    moment = datetime(1900, 5, 17, tzinfo=UTC)
    assert parse_json_date(date_to_json(moment)) == moment
    assert date_to_json(moment).startswith("/Date(-")


def test_decimals_are_strings_with_the_property_scale() -> None:
    assert to_json(decimal("Amount", 16, 3), Decimal("12.5")) == "12.500"
    assert from_json(decimal("Amount", 16, 3), "12.5") == Decimal("12.5")
    assert from_json(decimal("Amount", 16, 3), 7) == Decimal(7)


def test_date_properties_drop_the_time_of_day() -> None:
    moment = datetime(2024, 3, 1, 15, 45, tzinfo=UTC)
    assert from_json(date("Day"), date_to_json(moment)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert from_json(timestamp("Stamp"), date_to_json(moment)) == moment


def test_iso_8601_is_accepted_on_input() -> None:
    decoded = from_json(timestamp("Stamp"), "2024-03-01T15:45:00+01:00")
    assert decoded == datetime(2024, 3, 1, 14, 45, tzinfo=UTC)
    assert decoded.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("prop", "raw"),
    [
        (text("Name", 10), 5),
        (decimal("Amount", 16, 3), "twelve"),
        (decimal("Amount", 16, 3), True),
        (date("Day"), "/Date(abc)/"),
        (timestamp("Stamp"), 1700000000),
    ],
)
def test_mistyped_values_name_the_property(prop: Property, raw: object) -> None:
    with pytest.raises(ValueFormatError) as raised:
        from_json(prop, raw)
    assert f"Property '{prop.name}'" in str(raised.value)
    assert raised.value.prop is prop
