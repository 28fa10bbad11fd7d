from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.sandbox.crm.catalog import CATALOG
from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.query import Planner, date_range, like_regex, select
from causeway.sandbox.crm.soql import Compare, InList, Junction, Negation, parse, quote
from causeway.sandbox.crm.store import CrmStore

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


@given(st.text())
def test_string_literals_round_trip(text: str) -> None:
    query = parse(f"SELECT Id FROM Account WHERE Name = {quote(text)}")
    assert isinstance(query.where, Compare)
    assert query.where.value.value == text


def test_grammar_covers_the_subset() -> None:
    query = parse(
        "select Id, Account.Parent.Name from Contact where not (Email = null or "
        "LastName in ('a', 'b')) and CreatedDate >= 2024-01-31T10:00:00+02:00 and "
        "Birth__c <> 2024-01-31 order by LastName desc nulls last, Id limit 10 offset 5")
    assert query.sobject == "Contact"
    assert [f.path for f in query.fields] == [("Id",), ("Account", "Parent", "Name")]  # type: ignore[union-attr]
    assert isinstance(query.where, Junction)
    assert query.where.operator == "AND"
    assert isinstance(query.where.items[0], Negation)
    assert query.order_by[0].descending
    assert query.order_by[0].nulls_last
    assert not query.order_by[1].descending
    assert not query.order_by[1].nulls_last
    assert (query.limit, query.offset) == (10, 5)


def test_keywords_that_are_also_object_names() -> None:
    query = parse("SELECT Id, Order.OrderNumber FROM OrderItem WHERE Order.Status IN "
                  "('Draft') ORDER BY Order.OrderNumber")
    assert query.sobject == "OrderItem"
    assert isinstance(query.where, InList)
    assert parse("SELECT Id FROM Order ORDER BY Id").sobject == "Order"


@pytest.mark.parametrize(("soql", "column", "token"), [
    ("SELECT Id FROM Account WHERE", 29, "<EOF>"),
    ("SELECT Id Account", 11, "Account"),
    ("SELECT Id FROM Account WHERE Name = #", 37, "#"),
    ("SELECT FROM Account", 13, "Account"),
])
def test_malformed_queries_name_the_position(soql: str, column: int, token: str) -> None:
    with pytest.raises(SalesforceError) as failed:
        parse(soql)
    item = failed.value.items[0]
    assert item.error_code == "MALFORMED_QUERY"
    assert f"ERROR at Row:1:Column:{column}" in item.message
    assert f"unexpected token: '{token}'" in item.message


def test_illegal_escape() -> None:
    with pytest.raises(SalesforceError) as failed:
        parse("SELECT Id FROM Account WHERE Name = 'a\\qb'")
    assert "Illegal character sequence '\\q'" in failed.value.items[0].message


def test_like_patterns() -> None:
    assert like_regex("Acme%").fullmatch("ACME pumps")
    assert like_regex("A_me").fullmatch("acme")
    assert not like_regex("100\\%").fullmatch("1000")
    assert like_regex("100\\%").fullmatch("100%")


def test_date_literal_ranges() -> None:
    assert date_range(("TODAY", 0), NOW) == (date(2024, 3, 15), date(2024, 3, 16))
    assert date_range(("LAST_N_DAYS", 7), NOW) == (date(2024, 3, 8), date(2024, 3, 16))
    assert date_range(("LAST_MONTH", 0), NOW) == (date(2024, 2, 1), date(2024, 3, 1))
    assert date_range(("THIS_YEAR", 0), NOW) == (date(2024, 1, 1), date(2025, 1, 1))


def _names(store: CrmStore, soql: str) -> list[str]:
    plan = Planner(CATALOG, soql).plan(parse(soql))
    rows = (r for r in store.table(plan.sobject.name).values() if not r["IsDeleted"])
    return [r["Name"] for r in select(plan, rows, NOW, store.get)]


def test_filtering_sorting_and_paging(store: CrmStore) -> None:
    with store.transaction() as tx:
        parent = store.create(tx, "Account", {"Name": "Parent Co", "Industry": "Energy"})
        for name, revenue in (("beta", 20), ("Alpha", 10), ("gamma", None), ("Delta", 40)):
            store.create(tx, "Account", {"Name": name, "AnnualRevenue": revenue,
                                         "ParentId": parent})
    assert _names(store, "SELECT Name FROM Account WHERE ParentId != null ORDER BY Name") == [
        "Alpha", "beta", "Delta", "gamma"]
    assert _names(store, "SELECT Name FROM Account WHERE Parent.Industry = 'energy' "
                         "ORDER BY AnnualRevenue DESC NULLS LAST LIMIT 2 OFFSET 1") == [
        "beta", "Alpha"]
    assert _names(store, "SELECT Name FROM Account WHERE AnnualRevenue < 30 OR "
                         "Name LIKE 'g%' ORDER BY AnnualRevenue NULLS FIRST") == [
        "gamma", "Alpha", "beta"]
    assert _names(store, "SELECT Name FROM Account WHERE NOT Name IN ('alpha', 'BETA') "
                         "AND ParentId != null ORDER BY Name") == ["Delta", "gamma"]
    assert _names(store, f"SELECT Name FROM Account WHERE Id = '{parent[:15]}'") == [
        "Parent Co"]


@pytest.mark.parametrize(("soql", "code", "text"), [
    ("SELECT Foo FROM Account", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'"),
    ("SELECT Account.Foo FROM Contact", "INVALID_FIELD",
     "No such column 'Foo' on entity 'Account'"),
    ("SELECT Boss.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Boss'"),
    ("SELECT Id FROM Widget", "INVALID_TYPE", "sObject type 'Widget' is not supported"),
    ("SELECT Id FROM Account WHERE Name = 5", "INVALID_FIELD", "must be of type string"),
    ("SELECT Id FROM Account WHERE AnnualRevenue = '5'", "INVALID_FIELD",
     "must be of type double"),
    ("SELECT Id FROM Account WHERE Id = 'xyz'", "INVALID_QUERY_FILTER_OPERATOR",
     "invalid ID field: xyz"),
    ("SELECT Name, COUNT(Id) FROM Account", "MALFORMED_QUERY",
     "Field must be grouped or aggregated: Name"),
])
def test_name_and_type_errors(soql: str, code: str, text: str) -> None:
    with pytest.raises(SalesforceError) as failed:
        Planner(CATALOG, soql).plan(parse(soql))
    assert failed.value.items[0].error_code == code
    assert text in failed.value.items[0].message
