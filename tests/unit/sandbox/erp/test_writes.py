"""Writes through the HTTP surface: deep inserts, item changes, PUT semantics, deletes."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

PRODUCTS = f"{ODATA}/API_PRODUCT_SRV"
SO = f"{ODATA}/API_SALES_ORDER_SRV"
BP = f"{ODATA}/API_BUSINESS_PARTNER"
NEW_PRODUCT = {
    "Product": "NEW-1",
    "ProductType": "FERT",
    "BaseUnit": "EA",
    "YY1_ListPrice": "10",
    "YY1_ListPriceCurrency": "EUR",
    "to_Description": [{"Language": "EN", "ProductDescription": "Test valve"}],
    "to_Plant": [{"Plant": "1010", "YY1_UnrestrictedStockQuantity": "5"}],
}


def _order_total(client: TestClient, order: str) -> Decimal:
    return Decimal(client.get(f"{SO}/A_SalesOrder('{order}')").json()["d"]["TotalNetAmount"])


def test_product_deep_insert_then_order_it(client: TestClient) -> None:
    created = client.post(f"{PRODUCTS}/A_Product", json=NEW_PRODUCT)
    plants = client.get(f"{PRODUCTS}/A_Product('NEW-1')/to_Plant").json()["d"]["results"]
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000001", "TransactionCurrency": "EUR",
        "to_Item": [{"Material": "NEW-1", "RequestedQuantity": "2"}],
    }).json()["d"]
    assert created.status_code == 201
    assert plants[0]["YY1_UnrestrictedStockQuantity"] == "5.000"
    assert Decimal(order["TotalNetAmount"]) <= Decimal(20)
    item = client.get(f"{SO}/A_SalesOrderItem(SalesOrder='{order['SalesOrder']}',"
                      "SalesOrderItem='10')").json()["d"]
    assert item["SalesOrderItemText"] == "Test valve"


def test_items_added_and_changed_reprice_the_order(
    client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000002", "to_Item": [{"Material": material, "RequestedQuantity": "1"}],
    }).json()["d"]["SalesOrder"]
    one = _order_total(client, order)
    added = client.post(f"{SO}/A_SalesOrder('{order}')/to_Item",
                        json={"Material": material, "RequestedQuantity": "1"})
    changed = client.patch(
        f"{SO}/A_SalesOrderItem(SalesOrder='{order}',SalesOrderItem='20')",
        json={"RequestedQuantity": "2"},
    )
    assert added.json()["d"]["SalesOrderItem"] == "20"
    assert changed.status_code == 204
    assert _order_total(client, order) == one * 3


def test_delete_order_removes_items_and_schedule_lines(
    client: TestClient, universe: SeedUniverse
) -> None:
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000003",
        "to_Item": [{"Material": universe.products[1].sku, "RequestedQuantity": "1"}],
    }).json()["d"]["SalesOrder"]
    deleted = client.delete(f"{SO}/A_SalesOrder('{order}')")
    assert deleted.status_code == 204
    assert client.get(f"{SO}/A_SalesOrderItem/$count").text == "0"
    assert client.get(f"{SO}/A_SalesOrderScheduleLine/$count").text == "0"


def test_put_clears_what_it_does_not_send(client: TestClient) -> None:
    client.patch(f"{BP}/A_BusinessPartner('10000004')", json={"SearchTerm2": "KEEP?"})
    replaced = client.put(f"{BP}/A_BusinessPartner('10000004')",
                          json={"BusinessPartnerCategory": "2", "OrganizationBPName1": "Put Co"})
    entity = client.get(f"{BP}/A_BusinessPartner('10000004')").json()["d"]
    assert replaced.status_code == 204
    assert entity["SearchTerm2"] is None
    assert entity["BusinessPartnerFullName"] == "Put Co"


def test_unknown_customer_and_material_are_named(
    client: TestClient, universe: SeedUniverse
) -> None:
    no_customer = client.post(f"{SO}/A_SalesOrder", json={"SoldToParty": "99"})
    no_material = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000001", "to_Item": [{"Material": "NOPE", "RequestedQuantity": "1"}],
    })
    assert no_customer.json()["error"]["innererror"]["errordetails"][0]["target"] == "SoldToParty"
    assert no_material.json()["error"]["innererror"]["errordetails"][0]["target"] == "Material"
    assert client.get(f"{SO}/A_SalesOrder/$count").text == "0"


def test_decimal_precision_is_enforced(client: TestClient, universe: SeedUniverse) -> None:
    response = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000001",
        "to_Item": [{"Material": universe.products[0].sku, "RequestedQuantity": "1.2345"}],
    })
    assert response.status_code == 400
    assert "RequestedQuantity" in response.json()["error"]["message"]["value"]
