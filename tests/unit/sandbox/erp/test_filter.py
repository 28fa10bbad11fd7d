"""The $filter grammar, its syntax errors, and the typed evaluation of parsed expressions."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.sandbox.erp.errors import ODataError
from causeway.sandbox.erp.filter import (
    Compare,
    FilterSyntaxError,
    Literal,
    Logical,
    Member,
    Not,
    parse_filter,
    parse_keys,
    string_literal,
)
from causeway.sandbox.erp.predicate import compile_filter
from causeway.sandbox.erp.services.sales_order import SALES_ORDER


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
def test_string_literals_round_trip_with_doubled_quotes(value: str) -> None:
    parsed = parse_filter(f"PurchaseOrderByCustomer eq {string_literal(value)}")
    assert isinstance(parsed, Compare)
    assert parsed.right == Literal(value, "string")


def test_precedence_not_over_and_over_or() -> None:
    parsed = parse_filter("not A eq 1 and B eq 2 or C eq 3")
    assert isinstance(parsed, Logical)
    assert parsed.op == "or"
    left = parsed.operands[0]
    assert isinstance(left, Logical)
    assert left.op == "and"
    assert isinstance(left.operands[0], Not)


def test_parentheses_group() -> None:
    parsed = parse_filter("A eq 1 and (B eq 2 or C eq 3)")
    assert isinstance(parsed, Logical)
    assert parsed.op == "and"
    assert isinstance(parsed.operands[1], Logical)
    assert parsed.operands[1].op == "or"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5M", Literal(Decimal("12.5"), "decimal")),
        ("7", Literal(7, "int")),
        ("7L", Literal(7, "int")),
        ("1.5d", Literal(1.5, "double")),
        ("true", Literal(True, "bool")),
        ("null", Literal(None, "null")),
        ("datetime'2024-01-01T00:00:00'", Literal(datetime(2024, 1, 1, tzinfo=UTC), "datetime")),
        ("datetime'2024-01-01T10:30'", Literal(datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
                                               "datetime")),
        ("datetimeoffset'2024-01-01T01:00:00+01:00'",
         Literal(datetime(2024, 1, 1, tzinfo=UTC), "datetimeoffset")),
        ("time'PT10H30M'", Literal(time(10, 30), "time")),
    ],
)
def test_literals(text: str, expected: Literal) -> None:
    parsed = parse_filter(f"X eq {text}")
    assert isinstance(parsed, Compare)
    assert parsed.right == expected


def test_keywords_inside_names_are_names() -> None:
    parsed = parse_filter("ordering eq 1 or notes ne 'x'")
    assert isinstance(parsed, Logical)
    first = parsed.operands[0]
    assert isinstance(first, Compare)
    assert first.left == Member(("ordering",))


@pytest.mark.parametrize(
    ("text", "position"),
    [("A eq", 4), ("A eq 'x' and", 12), ("A eq 'x", 5), ("A xx 1", 2), ("(A eq 1", 7)],
)
def test_syntax_errors_name_the_position(text: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as raised:
        parse_filter(text)
    assert raised.value.position == position
    assert f"position {position}" in str(raised.value)


def test_invalid_date_literal_is_a_syntax_error() -> None:
    with pytest.raises(FilterSyntaxError, match="invalid literal"):
        parse_filter("X eq datetime'2024-13-01T00:00:00'")


def test_key_predicates() -> None:
    assert parse_keys("('1')") == [Literal("1", "string")]
    assert parse_keys("(BusinessPartner='1',AddressID='2')") == {
        "BusinessPartner": Literal("1", "string"),
        "AddressID": Literal("2", "string"),
    }


def _orders() -> list[dict[str, object]]:
    return [
        {"SalesOrder": "1", "SoldToParty": "10000001", "TotalNetAmount": Decimal("100.5"),
         "LastChangeDateTime": datetime(2024, 1, 1, tzinfo=UTC), "PurchaseOrderByCustomer": "A'1"},
        {"SalesOrder": "2", "SoldToParty": "10000002", "TotalNetAmount": Decimal("20"),
         "LastChangeDateTime": datetime(2024, 6, 1, tzinfo=UTC), "PurchaseOrderByCustomer": None},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TotalNetAmount gt 50", ["1"]),
        ("TotalNetAmount le 20.0M", ["2"]),
        ("LastChangeDateTime ge datetimeoffset'2024-03-01T00:00:00Z'", ["2"]),
        ("LastChangeDateTime lt datetime'2024-03-01T00:00:00'", ["1"]),
        ("PurchaseOrderByCustomer eq null", ["2"]),
        ("PurchaseOrderByCustomer ne null", ["1"]),
        ("PurchaseOrderByCustomer eq 'A''1'", ["1"]),
        ("startswith(SoldToParty,'1000000') and endswith(SoldToParty,'2')", ["2"]),
        ("substringof('0001', SoldToParty)", ["1"]),
        ("not (SalesOrder eq '1')", ["2"]),
        ("tolower(PurchaseOrderByCustomer) eq 'a''1'", ["1"]),
        ("TotalNetAmount gt 10 and (SalesOrder eq '1' or SalesOrder eq '2')", ["1", "2"]),
    ],
)
def test_evaluation(text: str, expected: list[str]) -> None:
    predicate = compile_filter(parse_filter(text), SALES_ORDER)
    assert [order["SalesOrder"] for order in _orders() if predicate(order)] == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Unknown eq 1", "Property 'Unknown' not found"),
        ("SalesOrder eq 1", "cannot compare string with number"),
        ("startswith(TotalNetAmount,'1')", "argument 1 of 'startswith'"),
        ("SalesOrder", "not a condition"),
        ("nosuch(SalesOrder) eq 1", "unexpected"),
    ],
)
def test_type_errors_are_bad_requests(text: str, fragment: str) -> None:
    with pytest.raises((ODataError, FilterSyntaxError)) as raised:
        compile_filter(parse_filter(text), SALES_ORDER)
    assert fragment in str(raised.value)
