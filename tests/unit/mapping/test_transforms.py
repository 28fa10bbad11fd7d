from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest

from causeway.mapping.transforms import TRANSFORMS


def apply(name: str, value: Any) -> Any:
    return TRANSFORMS[name](value)


def test_sap_dates_read_milliseconds_and_offsets() -> None:
    assert apply("sap_datetime", "/Date(1700000000000)/") == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )
    with_offset = apply("sap_datetime", "/Date(1700000000000+0060)/")
    assert with_offset.utcoffset() == timedelta(hours=1)
    assert with_offset == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert apply("sap_date", "/Date(1699920000000)/") == date(2023, 11, 14)
    assert apply("sap_date", "/Date(-86400000)/") == date(1969, 12, 31)


@pytest.mark.parametrize("value", ["2023-11-14", "/Date(abc)/", "Date(1)", ""])
def test_sap_dates_refuse_other_text(value: str) -> None:
    with pytest.raises(ValueError, match="Date"):
        apply("sap_datetime", value)


def test_to_sap_date_round_trips() -> None:
    moment = datetime(2024, 2, 29, 13, 45, 1, 123000, tzinfo=timezone(timedelta(hours=2)))
    text = apply("to_sap_date", moment)
    assert apply("sap_datetime", text) == moment
    assert apply("to_sap_date", date(2023, 11, 14)) == "/Date(1699920000000)/"
    assert apply("to_sap_date", "2023-11-14") == "/Date(1699920000000)/"
    with pytest.raises(ValueError, match="time zone"):
        apply("to_sap_date", datetime(2024, 1, 1, 12, 0))


def test_salesforce_dates() -> None:
    parsed = apply("datetime", "2024-01-02T03:04:05.000+0000")
    assert parsed == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert apply("sf_datetime", parsed) == "2024-01-02T03:04:05.000+0000"
    assert apply("sf_datetime", "2024-01-02T05:04:05.250+02:00") == "2024-01-02T03:04:05.250+0000"
    assert apply("date", "2024-01-02T03:04:05Z") == "2024-01-02"
    assert apply("date", date(2024, 1, 2)) == "2024-01-02"


def test_numbers() -> None:
    assert apply("decimal", "0012.500") == Decimal("12.500")
    assert apply("decimal", 12.34) == Decimal("12.34")
    assert apply("decimal_str", Decimal("1E-7")) == "0.0000001"
    assert apply("number", "12.50") == 12.5
    assert apply("number", Decimal("3.000")) == 3
    assert isinstance(apply("number", "3.0"), int)
    assert apply("int", "000010") == 10
    for name, bad in [("decimal", "1,5"), ("decimal", "Infinity"), ("int", "1.5"),
                      ("int", True), ("decimal", False)]:
        with pytest.raises((ValueError, TypeError)):
            apply(name, bad)


def test_flags_and_text() -> None:
    class Colour(StrEnum):
        RED = "red"

    assert apply("bool", "X") is True
    assert apply("bool", "") is False
    assert apply("not", "true") is False
    with pytest.raises(ValueError, match="boolean"):
        apply("bool", "maybe")
    assert apply("str", Colour.RED) == "red"
    assert apply("blank_to_null", "  ") is None
    assert apply("blank_to_null", "x") == "x"
    assert apply("upper", "abc") == "ABC"


def test_codes() -> None:
    assert apply("country", "deu") == "DE"
    assert apply("currency", "chf") == "CHF"
    with pytest.raises(ValueError, match="ISO 3166"):
        apply("country", "Atlantis")


@pytest.mark.parametrize(("line", "street", "number"), [
    ("Hauptstrasse 12a", "Hauptstrasse", "12a"),
    ("Rue de la Paix 5-7", "Rue de la Paix", "5-7"),
    ("Am Weg 3/1", "Am Weg", "3/1"),
    ("1 Market Street", "Market Street", "1"),
    ("221B Baker Street", "Baker Street", "221B"),
    ("Market Street", "Market Street", None),
])
def test_street_lines_split_a_trailing_house_number(
    line: str, street: str, number: str | None
) -> None:
    assert apply("street_name", line) == street
    assert apply("house_number", line) == number
