"""Price books as a Salesforce org keeps them: one standard book, custom prices after it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.unit.sandbox.crm.conftest import API


def _create(client: TestClient, sobject: str, values: dict[str, Any]) -> Any:
    return client.post(f"{API}/sobjects/{sobject}", json=values)


def _query(client: TestClient, soql: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = client.get(f"{API}/query", params={"q": soql}).json()[
        "records"
    ]
    return records


def test_the_standard_book_exists_and_new_books_are_custom(client: TestClient) -> None:
    [standard] = _query(client, "SELECT Id, Name FROM Pricebook2 WHERE IsStandard = true")
    created = _create(client, "Pricebook2", {"Name": "1010/10 USD", "IsActive": True,
                                             "ERP_Price_List__c": "1010/10 USD"})
    refused = _create(client, "Pricebook2", {"Name": "Mine", "IsStandard": True})
    book_id = created.json()["id"]
    [book] = _query(client, f"SELECT IsStandard FROM Pricebook2 WHERE Id = '{book_id}'")
    assert standard["Name"] == "Standard Price Book"
    assert created.status_code == 201
    assert book["IsStandard"] is False
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_custom_prices_follow_salesforce_s_rules(client: TestClient) -> None:
    [standard] = _query(client, "SELECT Id FROM Pricebook2 WHERE IsStandard = true")
    product = _create(client, "Product2", {"Name": "Valve", "ProductCode": "V-1"}).json()["id"]
    book = _create(client, "Pricebook2", {"Name": "Partner"}).json()["id"]
    entry = {"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 9, "CurrencyIsoCode": "USD",
             "Causeway_Id__c": "c-1", "ERP_Price_List__c": "1010/10 USD"}
    before_standard = _create(client, "PricebookEntry", entry)
    _create(client, "PricebookEntry", {"Pricebook2Id": standard["Id"], "Product2Id": product,
                                       "UnitPrice": 10, "CurrencyIsoCode": "USD"})
    custom = _create(client, "PricebookEntry", entry)
    twice = _create(client, "PricebookEntry", entry | {"Causeway_Id__c": "c-2"})
    moved = client.patch(f"{API}/sobjects/PricebookEntry/{custom.json()['id']}",
                         json={"Product2Id": product, "UnitPrice": 8})
    [kept] = _query(client, "SELECT ProductCode, UnitPrice, ERP_Price_List__c FROM "
                            "PricebookEntry WHERE Causeway_Id__c = 'c-1'")
    assert before_standard.json()[0]["errorCode"] == "STANDARD_PRICE_NOT_DEFINED"
    assert custom.status_code == 201
    assert twice.json()[0]["errorCode"] == "DUPLICATE_VALUE"
    assert moved.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    kept.pop("attributes")
    assert kept == {"ProductCode": "V-1", "UnitPrice": 9.0, "ERP_Price_List__c": "1010/10 USD"}
