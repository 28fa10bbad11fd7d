from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.connectors.salesforce.soql import (
    Query,
    SoqlError,
    compare,
    identifier,
    is_in,
    literal,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (12, "12"),
        (Decimal("12.50"), "12.50"),
        ("O'Brien", "'O\\'Brien'"),
        ("back\\slash", "'back\\\\slash'"),
        ("line\nbreak", "'line\\nbreak'"),
        (date(2024, 1, 31), "2024-01-31"),
        (datetime(2024, 1, 31, 10, 0, 0, 123456, tzinfo=UTC), "2024-01-31T10:00:00.123Z"),
    ],
)
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


def test_datetimes_are_sent_in_utc() -> None:
    moment = datetime(2024, 1, 31, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert literal(moment) == "2024-01-31T10:00:00.000Z"


@pytest.mark.parametrize(
    "name",
    ["Name; DELETE", "Name FROM User", "", "1Name", "Name--", "Account..Name", "a b", "Id'"],
)
def test_identifiers_that_are_not_api_names_are_refused(name: str) -> None:
    with pytest.raises(SoqlError):
        identifier(name)


@pytest.mark.parametrize(
    "name", ["Name", "Account.Name", "ERP_Customer_Number__c", "Account__r.X__c"]
)
def test_api_names_pass(name: str) -> None:
    assert identifier(name) == name


def test_injection_through_a_value_stays_inside_the_literal() -> None:
    hostile = "x' OR Name != '"
    condition = compare("Name", "=", hostile)
    assert condition.text == "Name = 'x\\' OR Name != \\''"


@given(st.text())
def test_every_string_literal_is_one_closed_token(text: str) -> None:
    rendered = literal(text)
    assert rendered.startswith("'")
    assert rendered.endswith("'")
    body = rendered[1:-1]
    # No unescaped quote inside: every quote is preceded by an odd run of backslashes.
    index = 0
    while index < len(body):
        if body[index] == "\\":
            index += 2
            continue
        assert body[index] not in "'\n\r"
        index += 1


def test_query_rendering() -> None:
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    query = Query(
        "Account",
        ["Id", "Name", "Owner.Name"],
        where=compare("SystemModstamp", ">", moment) | is_in("Id", ["001A", "001B"]),
        order_by=[("SystemModstamp", "ASC"), ("Id", "asc")],
        limit=200,
    )
    assert query.render() == (
        "SELECT Id, Name, Owner.Name FROM Account WHERE (SystemModstamp > "
        "2024-05-01T00:00:00.000Z OR Id IN ('001A', '001B')) "
        "ORDER BY SystemModstamp ASC, Id ASC LIMIT 200"
    )


def test_bad_operator_direction_and_limit() -> None:
    with pytest.raises(SoqlError):
        compare("Name", "= 'x' OR", 1)
    with pytest.raises(SoqlError):
        Query("Account", ["Id"], order_by=[("Id", "SIDEWAYS")]).render()
    with pytest.raises(SoqlError):
        Query("Account", ["Id"], limit=0).render()
    with pytest.raises(SoqlError):
        Query("Account", []).render()
