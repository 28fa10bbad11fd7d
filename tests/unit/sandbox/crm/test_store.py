from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from causeway.sandbox.crm.app import CrmSettings
from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.crm.store import CrmStore
from causeway.sandbox.faults import FaultInjector
from causeway.sandbox.seed import SeedConfig, generate


def _insert(store: CrmStore, sobject: str, values: dict[str, Any]) -> str:
    with store.transaction() as tx:
        return store.create(tx, sobject, values)


def _create_error(store: CrmStore, sobject: str,
                  values: dict[str, Any]) -> tuple[str, str, list[str]]:
    with pytest.raises(SalesforceError) as failed:
        _insert(store, sobject, values)
    item = failed.value.items[0]
    return item.error_code, item.message, list(item.fields)


@pytest.mark.parametrize(("sobject", "values", "code", "fields"), [
    ("Account", {}, "REQUIRED_FIELD_MISSING", ["Name"]),
    ("Opportunity", {"Name": "x"}, "REQUIRED_FIELD_MISSING", ["StageName", "CloseDate"]),
    ("Case", {"Subject": "x"}, "REQUIRED_FIELD_MISSING", ["Origin"]),
    ("Account", {"Name": "x", "Nope__c": 1}, "INVALID_FIELD", ["Nope__c"]),
    ("Account", {"Name": "x", "AnnualRevenue": "lots"}, "JSON_PARSER_ERROR", ["AnnualRevenue"]),
    ("Account", {"Name": "x", "Credit_Block__c": 3}, "JSON_PARSER_ERROR", ["Credit_Block__c"]),
    ("Invoice__c", {"Name": "x", "Due_Date__c": "31.01.2024"},
     "INVALID_TYPE_ON_FIELD_IN_RECORD", ["Due_Date__c"]),
    ("Invoice__c", {"Name": "x", "Status__c": "Lost"},
     "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status__c"]),
    ("Account", {"Name": "x", "CreatedDate": "2024-01-01T00:00:00Z"},
     "INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
    ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
    ("Contact", {"LastName": "x", "Email": "nope"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
    ("Contact", {"LastName": "x", "AccountId": "001xyz"}, "MALFORMED_ID", ["AccountId"]),
    ("Contact", {"LastName": "x", "AccountId": "001Kc000000zzzz"},
     "INVALID_CROSS_REFERENCE_KEY", ["AccountId"]),
    ("Contact", {"LastName": "x", "AccountId": "003Kc0000000001"},
     "FIELD_INTEGRITY_EXCEPTION", ["AccountId"]),
])
def test_validation_errors(store: CrmStore, sobject: str, values: dict[str, Any], code: str,
                           fields: list[str]) -> None:
    assert _create_error(store, sobject, values)[0::2] == (code, fields)


def test_system_fields_and_derived_values(store: CrmStore) -> None:
    with store.transaction() as tx:
        account = store.create(tx, "Account", {"Name": "Acme", "BillingCountryCode": "FR"})
        contact = store.create(tx, "Contact", {"FirstName": "Ada", "LastName": "Lovelace",
                                               "AccountId": account})
        case = store.create(tx, "Case", {"Origin": "Web"})
    record = store.get(contact)
    assert record is not None
    assert record["Name"] == "Ada Lovelace"
    assert store.get(account)["BillingCountry"] == "France"  # type: ignore[index]
    opened = store.get(case)
    assert opened is not None
    assert (opened["Status"], opened["IsClosed"], opened["CaseNumber"]) == ("New", False,
                                                                          "00000001")
    with store.transaction() as tx:
        store.update(tx, "Case", case, {"Status": "Closed"})
    closed = store.get(case)
    assert closed is not None
    assert closed["IsClosed"]
    assert closed["ClosedDate"]
    assert closed["CreatedDate"] <= closed["LastModifiedDate"] == closed["SystemModstamp"]


def test_line_items_roll_up_as_system_updates(store: CrmStore) -> None:
    pricebook = store.standard_pricebook_id()
    with store.transaction() as tx:
        product = store.create(tx, "Product2", {"Name": "Pump", "IsActive": True})
        entry = store.create(tx, "PricebookEntry", {"Pricebook2Id": pricebook,
                                                    "Product2Id": product, "UnitPrice": 100,
                                                    "IsActive": True})
        order = store.create(tx, "Order", {"AccountId": store.create(tx, "Account", {
            "Name": "Buyer"}), "EffectiveDate": "2024-01-31", "Status": "Draft",
            "Pricebook2Id": pricebook})
    before = store.get(order)
    assert before is not None
    with store.transaction() as tx:
        store.create(tx, "OrderItem", {"OrderId": order, "PricebookEntryId": entry,
                                       "Quantity": 3})
    after = store.get(order)
    assert after is not None
    assert after["TotalAmount"] == 300.0
    assert after["LastModifiedDate"] == before["LastModifiedDate"]
    assert after["SystemModstamp"] >= before["SystemModstamp"]


def test_custom_price_needs_a_standard_price(store: CrmStore) -> None:
    with store.transaction() as tx:
        product = store.create(tx, "Product2", {"Name": "Valve"})
        custom = store.create(tx, "Pricebook2", {"Name": "Partner", "IsActive": True})
    code, _, _ = _create_error(store, "PricebookEntry", {
        "Pricebook2Id": custom, "Product2Id": product, "UnitPrice": 5})
    assert code == "STANDARD_PRICE_NOT_DEFINED"


def _two_clashing_accounts(store: CrmStore) -> None:
    with store.transaction() as tx:
        store.create(tx, "Account", {"Name": "Kept?", "ERP_Customer_Number__c": "K1"})
        store.create(tx, "Account", {"Name": "Clash", "ERP_Customer_Number__c": "k1"})


def test_rollback_leaves_nothing(store: CrmStore) -> None:
    with pytest.raises(SalesforceError):
        _two_clashing_accounts(store)
    assert store.find_external("Account", "ERP_Customer_Number__c", "K1") == []
    assert not [r for r in store.table("Account").values()]
    assert store.events.latest_replay_id == 0


def test_file_backed_org_survives_a_restart(tmp_path: Path) -> None:
    settings = CrmSettings(database=str(tmp_path / "crm.sqlite"))
    universe = generate(SeedConfig(accounts=3, products=1, contacts_per_account=0))
    first = CrmOrg(settings, universe, FaultInjector())
    with first.store.transaction("origin") as tx:
        created = first.store.create(tx, "Account", {"Name": "Persisted",
                                                     "ERP_Customer_Number__c": "P1"})
    first.close()
    second = CrmOrg(settings, universe, FaultInjector())
    assert second.store.get(created)["Name"] == "Persisted"  # type: ignore[index]
    assert second.store.find_external("Account", "ERP_Customer_Number__c", "p1") == [created]
    assert second.events.read("/data/AccountChangeEvent", -2, 10)[0]["payload"]["Name"] == (
        "Persisted")
    with second.store.transaction() as tx:
        newer = second.store.create(tx, "Account", {"Name": "Next"})
    assert newer != created
    second.reset()
    assert second.store.get(created) is None
    assert len(second.store.table("Account")) == 3
    second.close()


def test_seeded_ids_are_deterministic() -> None:
    universe = generate(SeedConfig(accounts=5, products=2, contacts_per_account=1))
    orgs = [CrmOrg(CrmSettings(), universe, FaultInjector(),
                   clock=lambda: datetime(2024, 1, 1, tzinfo=UTC)) for _ in range(2)]
    assert list(orgs[0].store.table("Account")) == list(orgs[1].store.table("Account"))
    first_ids = list(orgs[0].store.table("PricebookEntry"))
    orgs[0].reset()
    assert list(orgs[0].store.table("PricebookEntry")) == first_ids
    account = next(iter(orgs[0].store.table("Account").values()))
    assert account["BillingCountryCode"]
    assert account["BillingCountry"]
    assert account["ERP_Customer_Number__c"] is None
