"""SOQL through simple-salesforce: parent fields, paging, queryAll and query errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from causeway.sandbox.crm.app import CrmSettings
from causeway.sandbox.seed import SeedConfig, generate
from tests.fidelity.crm.conftest import Sandbox


def test_query_with_parent_fields(sf: Salesforce) -> None:
    result = sf.query("SELECT Id, LastName, Account.Name, Account.BillingCountry FROM Contact "
                      "WHERE Account.Name != null ORDER BY LastName LIMIT 3")
    assert result["totalSize"] == 3
    assert result["done"] is True
    row = result["records"][0]
    assert row["attributes"]["type"] == "Contact"
    assert row["Account"]["attributes"]["type"] == "Account"
    assert row["Account"]["Name"]
    names = [r["LastName"].lower() for r in result["records"]]
    assert names == sorted(names)


def test_filters_and_count(sf: Salesforce) -> None:
    sf.Account.create({"Name": "O'Brien & Sons", "AnnualRevenue": 5})
    found = sf.query("SELECT Id, Name FROM Account WHERE Name = 'o\\'brien & sons'")
    assert [r["Name"] for r in found["records"]] == ["O'Brien & Sons"]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE 'O\\'Bri%' AND "
                    "CreatedDate = TODAY")["totalSize"] == 1
    counted = sf.query("SELECT COUNT(Id) total FROM Account WHERE AnnualRevenue < 10")
    assert counted["records"][0]["total"] == 1


def test_query_all_pages_through_next_records_url(
        start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(CrmSettings(query_batch_size=2000))
    sandbox.add_accounts(5000)
    sf = sandbox.client()
    first = sf.query("SELECT Id, Name FROM Account")
    assert len(first["records"]) == 2000
    assert first["done"] is False
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    everything = sf.query_all("SELECT Id, Name FROM Account")
    ids = [r["Id"] for r in everything["records"]]
    assert len(ids) == 5000 == len(set(ids))


def test_batch_size_header(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox()
    sandbox.add_accounts(450)
    sf = sandbox.client()
    page = sf.query("SELECT Id FROM Account", headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(page["records"]) == 200
    rest = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 200
    assert rest["nextRecordsUrl"].endswith("-400")


@pytest.mark.slow
def test_query_all_of_ten_thousand_seeded_accounts(start_sandbox: Callable[..., Sandbox]) -> None:
    universe = generate(SeedConfig(accounts=10_000, products=0, contacts_per_account=0))
    sandbox = start_sandbox(seed=universe)
    sf = sandbox.client()
    first = sf.query("SELECT Id, Name, CreatedDate FROM Account")
    assert first["totalSize"] == 10_000
    assert len(first["records"]) == 2000  # one page; the rest behind nextRecordsUrl
    records = sf.query_all("SELECT Id, Name, CreatedDate FROM Account")["records"]
    assert len(records) == 10_000
    assert len({r["Id"] for r in records}) == 10_000
    assert {r["Name"] for r in records} == {a.name for a in universe.crm_accounts}


def test_query_all_includes_deleted(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Soon Gone"})["id"]
    sf.Account.delete(created)
    query = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created}'"
    assert sf.query(query)["totalSize"] == 0
    deleted = sf.query_all(query, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in deleted] == [(created, True)]


def test_malformed_query(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failed:
        sf.query("SELECT Id FROM Account WHERE")
    error = failed.value.content[0]
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:29" in error["message"]


def test_unknown_column_and_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as column:
        sf.query("SELECT Id, Foo FROM Account")
    assert column.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Foo' on entity 'Account'" in column.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as sobject:
        sf.query("SELECT Id FROM Nope__c")
    assert sobject.value.content[0]["errorCode"] == "INVALID_TYPE"
