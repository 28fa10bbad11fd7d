from __future__ import annotations

import pytest

from causeway.canonical.codes import (
    COUNTRIES,
    COUNTRY_ALPHA3,
    CURRENCIES,
    minor_units,
    normalise_country,
    normalise_currency,
)


def test_tables_hold_every_assigned_country_once() -> None:
    assert len(COUNTRIES) == 249
    assert len(set(COUNTRY_ALPHA3.values())) == 249
    assert COUNTRY_ALPHA3["DE"] == "DEU"
    assert {"EUR", "USD", "JPY", "CHF"} <= CURRENCIES
    assert "XXX" not in CURRENCIES


@pytest.mark.parametrize(("raw", "code"), [("DE", "DE"), (" de ", "DE"), ("DEU", "DE"),
                                           ("usa", "US"), ("NO", "NO")])
def test_normalise_country(raw: str, code: str) -> None:
    assert normalise_country(raw) == code


@pytest.mark.parametrize("raw", ["", "XX", "Germany", "D"])
def test_normalise_country_refuses_non_codes(raw: str) -> None:
    with pytest.raises(ValueError, match="ISO 3166"):
        normalise_country(raw)


def test_normalise_currency() -> None:
    assert normalise_currency(" eur") == "EUR"
    with pytest.raises(ValueError, match="ISO 4217"):
        normalise_currency("EURO")


@pytest.mark.parametrize(("currency", "units"), [("EUR", 2), ("JPY", 0), ("KWD", 3),
                                                 ("CLF", 4)])
def test_minor_units(currency: str, units: int) -> None:
    assert minor_units(currency) == units


def test_minor_units_of_unknown_currency() -> None:
    with pytest.raises(ValueError, match="ABC"):
        minor_units("ABC")
