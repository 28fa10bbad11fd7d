"""API_SALES_ORDER_SIMULATION_SRV: pricing, ATP and credit of a request, nothing saved."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.sandbox.erp.rules import atp
from causeway.sandbox.erp.services import sales_order_simulation as simulation_service
from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

SIM = f"{ODATA}/API_SALES_ORDER_SIMULATION_SRV"
SO = f"{ODATA}/API_SALES_ORDER_SRV"
BP = f"{ODATA}/API_BUSINESS_PARTNER"
CUSTOMER = "10000003"
AREA = {
    "SalesOrderType": "OR",
    "SalesOrganization": "1010",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
}


def request(lines: list[tuple[str, str]], **header: Any) -> dict[str, Any]:
    """A simulation asking for pricing, ATP and credit check, like a quote would."""
    return AREA | {
        "SoldToParty": CUSTOMER,
        "to_Pricing": {},
        "to_Credit": {},
        "to_Item": [
            {
                "Material": material,
                "RequestedQuantity": quantity,
                "to_PricingElement": [],
                "to_ScheduleLine": [],
            }
            for material, quantity in lines
        ],
    } | header


def simulate(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()["d"]
    return document


def error_of(client: TestClient, body: dict[str, Any]) -> tuple[str, str]:
    response = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    return error["innererror"]["errordetails"][0]["target"], error["message"]["value"]


def best_plant(universe: SeedUniverse, index: int) -> tuple[str, Decimal]:
    """The product's plant with the most stock, and that stock."""
    plants = universe.products[index].plants_stock
    plant = max(plants, key=lambda name: plants[name])
    return plant, Decimal(plants[plant])


def test_simulation_prices_and_confirms_like_the_order_it_predicts(
    client: TestClient, universe: SeedUniverse
) -> None:
    lines = [(universe.products[0].sku, "2"), (universe.products[1].sku, "1.5")]
    simulated = simulate(client, request(lines))
    order = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": CUSTOMER,
        "to_Item": [{"Material": m, "RequestedQuantity": q} for m, q in lines],
    }).json()["d"]
    items = client.get(f"{SO}/A_SalesOrder('{order['SalesOrder']}')/to_Item").json()["d"]
    lines_of_order = client.get(f"{SO}/A_SalesOrderScheduleLine").json()["d"]["results"]
    sim_items = simulated["to_Item"]["results"]
    assert simulated["SalesOrder"] == ""
    assert simulated["TransactionCurrency"] == order["TransactionCurrency"]
    assert [i["NetAmount"] for i in sim_items] == [i["NetAmount"] for i in items["results"]]
    assert simulated["to_Pricing"]["TotalNetAmount"] == order["TotalNetAmount"]
    assert simulated["to_Credit"]["TotalCreditCheckStatus"] == order["TotalCreditCheckStatus"]
    confirmed = [i["to_ScheduleLine"]["results"][0] for i in sim_items]
    assert [c["ConfdOrderQtyByMatlAvailCheck"] for c in confirmed] == [
        line["ConfdOrderQtyByMatlAvailCheck"] for line in lines_of_order
    ]
    assert [c["ConfirmedDeliveryDate"] for c in confirmed] == [
        line["ConfirmedDeliveryDate"] for line in lines_of_order
    ]


def test_pricing_elements_add_up_to_the_net_value(
    client: TestClient, universe: SeedUniverse
) -> None:
    item = simulate(client, request([(universe.products[2].sku, "3")]))["to_Item"]["results"][0]
    elements = {e["ConditionType"]: e for e in item["to_PricingElement"]["results"]}
    price = elements["PPR0"]
    assert price["ConditionBaseValue"] == "3.000000000"
    assert price["ConditionCurrency"] == item["TransactionCurrency"]
    assert sum(Decimal(e["ConditionAmount"]) for e in elements.values()) == Decimal(
        item["NetAmount"]
    )
    if "K007" in elements:  # the seeded customer discount depends on the account's revenue
        assert Decimal(elements["K007"]["ConditionRateValue"]) < 0


def test_nothing_is_saved_and_no_stock_is_promised(
    client: TestClient, app: FastAPI, universe: SeedUniverse
) -> None:
    store = app.state.erp.store
    material = universe.products[0].sku
    plant, _ = best_plant(universe, 0)
    for _ in range(3):
        simulate(client, request([(material, "5")]))
    assert client.get(f"{SO}/A_SalesOrder/$count").text == "0"
    assert atp.promised(store, material, plant) == 0
    for entity in simulation_service.SERVICE.entity_types:
        assert store.scan(entity) == []
        assert store.change_documents(entity.entity_set) == []
    assert store.change_documents("A_SalesOrder") == []
    created = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": CUSTOMER, "to_Item": [{"Material": material, "RequestedQuantity": "5"}],
    }).json()["d"]
    assert created["SalesOrder"] == "1"  # no number was drawn by the simulations


def test_line_beyond_free_stock_is_confirmed_in_part_with_a_warning(
    client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    plant, free = best_plant(universe, 0)
    wanted = free + 10
    body = request([(material, "4"), (material, str(wanted))])
    for item in body["to_Item"]:
        item["Plant"] = plant
    response = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    first, second = (
        item["to_ScheduleLine"]["results"][0] for item in response.json()["d"]["to_Item"]["results"]
    )
    message = json.loads(response.headers["sap-message"])
    assert Decimal(first["ConfdOrderQtyByMatlAvailCheck"]) == 4
    # The second item gets what the first left of the plant's free stock.
    assert Decimal(second["ScheduleLineOrderQuantity"]) == wanted
    assert Decimal(second["ConfdOrderQtyByMatlAvailCheck"]) == free - 4
    assert second["ConfirmedDeliveryDate"] is not None
    assert message["severity"] == "warning"
    assert "Item 20" in message["message"]


def test_nothing_free_means_nothing_confirmed(
    client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    body = request([(material, "1")])
    body["to_Item"][0]["Plant"] = "9999"
    item = simulate(client, body)["to_Item"]["results"][0]
    line = item["to_ScheduleLine"]["results"][0]
    assert line["ConfdOrderQtyByMatlAvailCheck"] == "0.000"
    assert line["ConfirmedDeliveryDate"] is None
    assert item["ConfdDelivQtyInOrderQtyUnit"] == "0.000"


def test_checks_not_asked_for_stay_deferred(client: TestClient, universe: SeedUniverse) -> None:
    body = AREA | {
        "SoldToParty": CUSTOMER,
        "to_Item": [{"Material": universe.products[0].sku, "RequestedQuantity": "1"}],
    }
    document = simulate(client, body)
    item = document["to_Item"]["results"][0]
    assert item["NetAmount"] is None
    assert item["ConfdDelivQtyInOrderQtyUnit"] is None
    assert "__deferred" in item["to_ScheduleLine"]
    assert "__deferred" in document["to_Pricing"]
    assert "__deferred" in document["to_Credit"]


def test_partners_are_checked_and_determined_from_the_sold_to(
    client: TestClient, universe: SeedUniverse
) -> None:
    body = request([(universe.products[0].sku, "1")]) | {
        "to_Partner": [{"PartnerFunction": "SH", "Customer": "10000004"}]
    }
    partners = simulate(client, body)["to_Partner"]["results"]
    by_function = {p["PartnerFunction"]: p["Customer"] for p in partners}
    assert by_function == {"SH": "10000004", "SP": CUSTOMER, "BP": CUSTOMER, "PY": CUSTOMER}
    body["to_Partner"] = [{"PartnerFunction": "SH", "Customer": "99999999"}]
    assert error_of(client, body)[0] == "Customer"


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"SoldToParty": "99999999"}, "SoldToParty"),
        ({"SalesOrganization": None}, "SalesOrganization"),
        ({"DistributionChannel": "20"}, "SalesOrganization"),
        ({"TransactionCurrency": "XXX"}, "TransactionCurrency"),
        ({"to_Item": []}, "to_Item"),
        ({"to_Item": [{"Material": "NO-SUCH-THING", "RequestedQuantity": "1"}]}, "Material"),
        ({"to_Item": [{"Material": "X"}]}, "RequestedQuantity"),
        ({"to_Item": [{"RequestedQuantity": "1"}]}, "Material"),
        ({"SoldToParty": "10000001", "Bogus": "1"}, "Bogus"),
    ],
)
def test_bad_requests_name_the_field_like_sap(
    client: TestClient, universe: SeedUniverse, change: dict[str, Any], target: str
) -> None:
    body = request([(universe.products[0].sku, "1")]) | change
    assert error_of(client, body)[0] == target


def test_zero_quantity_is_refused(client: TestClient, universe: SeedUniverse) -> None:
    target, message = error_of(client, request([(universe.products[0].sku, "0")]))
    assert target == "RequestedQuantity"
    assert message.startswith("Item 10:")


def test_blocked_customer_is_refused(client: TestClient, universe: SeedUniverse) -> None:
    area = (
        f"{BP}/A_CustomerSalesArea(Customer='{CUSTOMER}',SalesOrganization='1010',"
        "DistributionChannel='10',Division='00')"
    )
    assert client.patch(area, json={"OrderIsBlockedForCustomer": "01"}).status_code == 204
    target, message = error_of(client, request([(universe.products[0].sku, "1")]))
    assert target == "SoldToParty"
    assert "blocked" in message


def test_only_post_on_the_header_set_is_offered(client: TestClient) -> None:
    assert client.get(f"{SIM}/A_SalesOrderSimulation").status_code == 405
    assert client.get(f"{SIM}/A_SalesOrderItemSimulation").status_code == 405
    assert client.post(f"{SIM}/A_SalesOrderItemSimulation", json={}).status_code == 405
    assert client.get(f"{SIM}/A_Nothing").status_code == 404


def test_csrf_token_is_required(app: FastAPI, universe: SeedUniverse) -> None:
    with TestClient(app) as fresh:
        fresh.auth = ("CAUSEWAY", "causeway")
        response = fresh.post(
            f"{SIM}/A_SalesOrderSimulation", json=request([(universe.products[0].sku, "1")])
        )
    assert response.status_code == 403
    assert response.headers["x-csrf-token"] == "Required"


def test_metadata_describes_the_simulation_types(client: TestClient) -> None:
    root = ET.fromstring(client.get(f"{SIM}/$metadata").content)
    edm = "{http://schemas.microsoft.com/ado/2008/09/edm}"
    types = {t.get("Name"): t for t in root.iter(f"{edm}EntityType")}
    header = types["A_SalesOrderSimulationType"]
    navigations = {n.get("Name") for n in header.iter(f"{edm}NavigationProperty")}
    schedule_line = types["A_SalesOrderScheduleLineSimlnType"]
    line = {p.get("Name") for p in schedule_line.iter(f"{edm}Property")}
    assert navigations == {"to_Credit", "to_Item", "to_Partner", "to_Pricing", "to_PricingElement"}
    assert {"ConfirmedDeliveryDate", "ConfdOrderQtyByMatlAvailCheck"} <= line
    assert "A_SalesOrderItmPrcgElmntSimlnType" in types


def test_faults_apply_to_the_simulation(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    body = request([(universe.products[0].sku, "1")])
    admin_client.put("/__admin/faults", json={"error_rates": {"503": 1.0}})
    outage = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    limit = {"rate_limit": {"requests_per_second": 0.001, "burst": 1}}
    admin_client.put("/__admin/faults", json=limit)
    first = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    throttled = client.post(f"{SIM}/A_SalesOrderSimulation", json=body)
    admin_client.delete("/__admin/faults")
    assert outage.status_code == 503
    assert outage.json()["error"]["code"] == "SERVER_UNAVAILABLE"
    assert first.status_code == 201
    assert throttled.status_code == 429
