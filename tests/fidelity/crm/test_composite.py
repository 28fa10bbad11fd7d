"""sObject Collections through simple-salesforce's restful()."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_collection_create_update_delete(sf: Salesforce) -> None:
    created = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Account"}, "Name": "Coll A"},
            {"attributes": {"type": "Account"}},
            {"attributes": {"type": "Product2"}, "Name": "Coll P", "ERP_Material__c": "M-1"},
        ],
    })
    assert [r["success"] for r in created] == [True, False, True]
    assert created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    account_id = created[0]["id"]
    updated = sf.restful("composite/sobjects", method="PATCH", json={
        "records": [{"attributes": {"type": "Account"}, "id": account_id, "Phone": "123"}],
    })
    assert updated == [{"id": account_id, "success": True, "errors": []}]
    assert sf.Account.get(account_id)["Phone"] == "123"
    deleted = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": f"{account_id},{created[2]['id']}"})
    assert [r["success"] for r in deleted] == [True, True]


def test_all_or_none_rolls_back_everything(sf: Salesforce) -> None:
    before = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    results = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Account"}, "Name": "Would Be Fine"},
            {"attributes": {"type": "Account"}, "Name": "Bad Pick", "CurrencyIsoCode": "XXX"},
        ],
    })
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == before


def test_collection_upsert_by_external_id(sf: Salesforce) -> None:
    payload = {"allOrNone": True, "records": [
        {"attributes": {"type": "Account"}, "ERP_Customer_Number__c": "E-1", "Name": "One"},
        {"attributes": {"type": "Account"}, "ERP_Customer_Number__c": "E-2", "Name": "Two"},
    ]}
    first = sf.restful("composite/sobjects/Account/ERP_Customer_Number__c", method="PATCH",
                       json=payload)
    assert [r["created"] for r in first] == [True, True]
    again = sf.restful("composite/sobjects/Account/ERP_Customer_Number__c", method="PATCH",
                       json=payload)
    assert [r["created"] for r in again] == [False, False]
    assert [r["id"] for r in again] == [r["id"] for r in first]


def test_more_than_two_hundred_records_is_refused(sf: Salesforce) -> None:
    records = [{"attributes": {"type": "Account"}, "Name": f"N{n}"} for n in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert refused.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
