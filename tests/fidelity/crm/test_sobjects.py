"""sObject resources through simple-salesforce: describe, CRUD, external ids, upsert."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from tests.fidelity.crm.conftest import Sandbox


def test_global_and_object_describe(sf: Salesforce) -> None:
    objects = {o["name"]: o for o in sf.describe()["sobjects"]}
    assert objects["Account"]["keyPrefix"] == "001"
    assert objects["Invoice__c"]["custom"] is True
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert fields["ERP_Customer_Number__c"]["externalId"] is True
    assert fields["Name"]["nillable"] is False
    assert fields["Industry"]["type"] == "picklist"
    invoice = {f["name"]: f for f in sf.Invoice__c.describe()["fields"]}
    assert invoice["Account__c"]["referenceTo"] == ["Account"]
    assert invoice["Account__c"]["relationshipName"] == "Account__r"


def test_create_read_update_delete(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Acme Pumps", "BillingCountryCode": "DE"})
    assert created["success"] is True
    assert created["id"].startswith("001")
    record = sf.Account.get(created["id"])
    assert record["attributes"]["type"] == "Account"
    assert record["BillingCountry"] == "Germany"
    assert record["CreatedDate"] == record["LastModifiedDate"]
    assert sf.Account.update(created["id"], {"Phone": "+49 30 1234"}) == 204
    updated = sf.Account.get(created["id"][:15])
    assert updated["Phone"] == "+49 30 1234"
    assert updated["LastModifiedDate"] >= record["LastModifiedDate"]
    assert sf.Account.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(created["id"])


def test_required_field_error(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as failed:
        sf.Contact.create({"FirstName": "Ada"})
    assert failed.value.content == [{"message": "Required fields are missing: [LastName]",
                                     "errorCode": "REQUIRED_FIELD_MISSING",
                                     "fields": ["LastName"]}]


def test_get_by_external_id(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Ext", "ERP_Customer_Number__c": "C-100"})
    record = sf.Account.get_by_custom_id("ERP_Customer_Number__c", "C-100")
    assert record["Id"] == created["id"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id("ERP_Customer_Number__c", "C-404")


def test_upsert_creates_then_updates(sf: Salesforce) -> None:
    first = sf.Account.upsert("ERP_Customer_Number__c/C-200", {"Name": "Upserted"},
                              raw_response=True)
    assert first.status_code == 201
    assert first.json()["created"] is True
    second = sf.Account.upsert("ERP_Customer_Number__c/C-200", {"Name": "Upserted Again"},
                               raw_response=True)
    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "success": True, "errors": [],
                             "created": False}
    assert sf.Account.get(first.json()["id"])["Name"] == "Upserted Again"


def test_upsert_with_several_matches(sf: Salesforce) -> None:
    ids = [sf.Account.create({"Name": f"Twin {n}", "Causeway_Id__c": "dup-1"})["id"]
           for n in range(2)]
    with pytest.raises(SalesforceMoreThanOneRecord) as ambiguous:
        sf.Account.upsert("Causeway_Id__c/dup-1", {"Name": "Which one?"})
    assert sorted(url.rsplit("/", 1)[1] for url in ambiguous.value.content) == sorted(ids)


def test_duplicate_unique_external_id(sf: Salesforce) -> None:
    sf.Account.create({"Name": "One", "ERP_Customer_Number__c": "C-1"})
    with pytest.raises(SalesforceMalformedRequest) as failed:
        sf.Account.create({"Name": "Two", "ERP_Customer_Number__c": "c-1"})
    assert failed.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_unknown_field_and_bad_reference(sf: Salesforce, sandbox: Sandbox) -> None:
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Account.create({"Name": "X", "Foo__c": 1})
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.Contact.create({"LastName": "X", "AccountId": "not-an-id"})
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_ID"
    with pytest.raises(SalesforceMalformedRequest) as dangling:
        sf.Contact.create({"LastName": "X", "AccountId": "001Kc000000zzzzIAA"})
    assert dangling.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
