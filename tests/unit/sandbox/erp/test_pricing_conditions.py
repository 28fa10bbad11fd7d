"""API_SLSPRICINGCONDITIONRECORD_SRV: condition records are what order pricing charges."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

PRICING = f"{ODATA}/API_SLSPRICINGCONDITIONRECORD_SRV"
SIMULATION = f"{ODATA}/API_SALES_ORDER_SIMULATION_SRV"
SO = f"{ODATA}/API_SALES_ORDER_SRV"


def _list_price(client: TestClient, material: str) -> dict[str, Any]:
    rows = client.get(
        f"{PRICING}/A_SlsPrcgCndnRecdValidity",
        params={
            "$filter": f"Material eq '{material}' and ConditionType eq 'PPR0'",
            "$expand": "to_SlsPrcgConditionRecord",
        },
    ).json()["d"]["results"]
    assert len(rows) == 1
    record: dict[str, Any] = rows[0]["to_SlsPrcgConditionRecord"]
    return record


def _item_net(client: TestClient, customer: str, material: str, quantity: str = "1") -> Decimal:
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": customer,
        "TransactionCurrency": "USD",
        "to_Item": [{"Material": material, "RequestedQuantity": quantity}],
    })
    assert order.status_code == 201, order.text
    return Decimal(order.json()["d"]["TotalNetAmount"])


def _discount(client: TestClient, customer: str) -> Decimal:
    area = client.get(
        f"{ODATA}/API_BUSINESS_PARTNER/A_CustomerSalesArea(Customer='{customer}',"
        "SalesOrganization='1010',DistributionChannel='10',Division='00')"
    ).json()["d"]
    return Decimal(area["YY1_CustomerDiscountPercent"])


def _new_price(client: TestClient, validity: dict[str, Any], **rate: Any) -> Any:
    body = {
        "ConditionType": "PPR0",
        "ConditionRateValue": "10",
        "ConditionRateValueUnit": "USD",
        **rate,
        "to_SlsPrcgCndnRecdValidity": [
            {"SalesOrganization": "1010", "DistributionChannel": "10", **validity}
        ],
    }
    return client.post(f"{PRICING}/A_SlsPrcgConditionRecord", json=body)


def test_seeded_list_price_is_what_an_order_is_charged(
    client: TestClient, universe: SeedUniverse
) -> None:
    goods = universe.products[0]
    customer = "10000001"
    record = _list_price(client, goods.sku)
    net = _item_net(client, customer, goods.sku, "3")
    discount = _discount(client, customer)
    expected = goods.list_price * 3 * (1 - discount / 100)
    assert record["ConditionType"] == "PPR0"
    assert record["ConditionTable"] == "304"
    assert Decimal(record["ConditionRateValue"]) == goods.list_price
    assert record["ConditionRateValueUnit"] == record["ConditionCurrency"] == goods.currency
    assert net == expected.quantize(Decimal("0.01"))


def test_a_price_change_is_stamped_and_charged(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[1].sku
    before = _list_price(client, material)
    admin_client.post("/__admin/clock/advance", json={"minutes": 5})
    number = before["ConditionRecord"]
    changed = client.patch(
        f"{PRICING}/A_SlsPrcgConditionRecord('{number}')", json={"ConditionRateValue": "123.40"}
    )
    after = _list_price(client, material)
    polled = client.get(
        f"{PRICING}/A_SlsPrcgConditionRecord",
        params={"$filter": f"YY1_LastChangeDateTime gt {_offset(before)}"},
    ).json()["d"]["results"]
    discount = _discount(client, "10000002")
    assert changed.status_code == 204
    assert Decimal(after["ConditionRateValue"]) == Decimal("123.40")
    assert [row["ConditionRecord"] for row in polled] == [number]
    assert after["ETag"] != before["ETag"]
    net = _item_net(client, "10000002", material)
    assert net == (Decimal("123.40") * (1 - discount / 100)).quantize(Decimal("0.01"))


def _offset(record: dict[str, Any]) -> str:
    millis = int(record["YY1_LastChangeDateTime"].removeprefix("/Date(").split("+")[0])
    # One second on: the stamp's microseconds are not on the wire.
    moment = datetime.fromtimestamp(millis / 1000 + 1, tz=UTC).replace(tzinfo=None)
    return f"datetimeoffset'{moment.isoformat(timespec='milliseconds')}Z'"


def test_customer_price_and_discount_conditions_win_over_the_defaults(
    client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[2].sku
    customer = "10000003"
    special = _new_price(client, {"Customer": customer, "Material": material},
                         ConditionRateValue="50")
    discount = client.post(f"{PRICING}/A_SlsPrcgConditionRecord", json={
        "ConditionType": "K007",
        "ConditionRateValue": "10",
        "to_SlsPrcgCndnRecdValidity": [
            {"SalesOrganization": "1010", "DistributionChannel": "10", "Customer": customer}
        ],
    })
    assert special.status_code == 201, special.text
    assert special.json()["d"]["ConditionTable"] == "305"
    assert discount.status_code == 201, discount.text
    assert Decimal(discount.json()["d"]["ConditionRateValue"]) == Decimal(-10)
    assert discount.json()["d"]["ConditionRateValueUnit"] == "%"
    assert _item_net(client, customer, material, "2") == Decimal("90.00")
    # Another customer still pays the list price.
    other = _item_net(client, "10000004", material)
    assert other != Decimal("50.00")


def test_deleted_condition_no_longer_prices(client: TestClient, universe: SeedUniverse) -> None:
    material = universe.products[3].sku
    number = _list_price(client, material)["ConditionRecord"]
    refused = client.delete(f"{PRICING}/A_SlsPrcgConditionRecord('{number}')")
    client.patch(f"{PRICING}/A_SlsPrcgConditionRecord('{number}')",
                 json={"ConditionIsDeleted": True})
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000001",
        "to_Item": [{"Material": material, "RequestedQuantity": "1"}],
    })
    assert refused.status_code == 405
    assert order.status_code == 400
    assert "no list price" in order.json()["error"]["message"]["value"]


def test_a_new_period_delimits_the_old_record(client: TestClient, universe: SeedUniverse) -> None:
    material = universe.products[0].sku
    old = _list_price(client, material)
    created = _new_price(
        client,
        {"Material": material, "ConditionValidityStartDate": "2030-01-01T00:00:00"},
        ConditionRateValue="99",
    )
    assert created.status_code == 201, created.text
    rows = client.get(
        f"{PRICING}/A_SlsPrcgCndnRecdValidity",
        params={"$filter": f"Material eq '{material}'", "$orderby": "ConditionValidityStartDate"},
    ).json()["d"]["results"]
    assert [row["ConditionRecord"] for row in rows] == [
        old["ConditionRecord"], created.json()["d"]["ConditionRecord"]
    ]
    assert rows[0]["ConditionValidityEndDate"] == "/Date(1893369600000)/"  # 2029-12-31
    # Today's orders are still charged the old price.
    discount = _discount(client, "10000005")
    expected = Decimal(old["ConditionRateValue"]) * (1 - discount / 100)
    assert _item_net(client, "10000005", material) == expected.quantize(Decimal("0.01"))


def test_bad_conditions_name_the_property(client: TestClient, universe: SeedUniverse) -> None:
    material = universe.products[0].sku
    cases = [
        (_new_price(client, {"Material": "NOPE"}), "Material"),
        (_new_price(client, {"Material": material}, ConditionRateValueUnit="XXX"),
         "ConditionRateValueUnit"),
        (_new_price(client, {"Material": material}, ConditionQuantityUnit="KGM"),
         "ConditionQuantityUnit"),
        (_new_price(client, {"Material": material}, ConditionType="ZZ01"), "ConditionType"),
        (_new_price(client, {"Material": material, "Customer": "99999999"}), "Customer"),
    ]
    for response, target in cases:
        assert response.status_code == 400, response.text
        details = response.json()["error"]["innererror"]["errordetails"]
        assert details[0]["target"] == target, response.text


def test_simulation_shows_the_condition_record_price(
    client: TestClient, universe: SeedUniverse
) -> None:
    goods = universe.products[1]
    simulated = client.post(f"{SIMULATION}/A_SalesOrderSimulation", json={
        "SoldToParty": "10000006",
        "SalesOrderType": "OR",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "OrganizationDivision": "00",
        "TransactionCurrency": goods.currency,
        "to_Item": [{"Material": goods.sku, "RequestedQuantity": "1",
                     "to_PricingElement": []}],
    })
    assert simulated.status_code == 201, simulated.text
    elements = simulated.json()["d"]["to_Item"]["results"][0]["to_PricingElement"]["results"]
    price = next(element for element in elements if element["ConditionType"] == "PPR0")
    assert Decimal(price["ConditionRateValue"]) == goods.list_price.quantize(Decimal("0.01"))

