"""pyodata drives the sales order simulation: $metadata parses, deep insert, nested answer."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyodata
import pytest

from causeway.sandbox.seed import SeedUniverse

AREA = {
    "SalesOrderType": "OR",
    "SalesOrganization": "1010",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
}


def test_pyodata_simulates_an_order_with_pricing_and_schedule_lines(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    service = odata("API_SALES_ORDER_SIMULATION_SRV")
    materials = [product.sku for product in universe.products[:2]]
    simulated = (
        service.entity_sets.A_SalesOrderSimulation.create_entity()
        .set(
            **AREA,
            SoldToParty="10000004",
            to_Pricing={},
            to_Item=[
                {"Material": materials[0], "RequestedQuantity": "2",
                 "to_PricingElement": [], "to_ScheduleLine": []},
                {"Material": materials[1], "RequestedQuantity": "1",
                 "to_PricingElement": [], "to_ScheduleLine": []},
            ],
        )
        .execute()
    )
    items = simulated.to_Item
    assert simulated.SalesOrder == ""
    assert [item.Material for item in items] == materials
    for item in items:
        prices = [e for e in item.to_PricingElement if e.ConditionType == "PPR0"]
        line = item.to_ScheduleLine[0]
        assert Decimal(prices[0].ConditionAmount) > 0
        assert Decimal(line.ConfdOrderQtyByMatlAvailCheck) == Decimal(item.RequestedQuantity)
        assert line.ConfirmedDeliveryDate is not None
    total = sum(Decimal(item.NetAmount) for item in items)
    assert Decimal(simulated.to_Pricing.TotalNetAmount) == total


def test_pyodata_reads_the_sap_error_of_a_refused_simulation(
    odata: Callable[[str], Any]
) -> None:
    service = odata("API_SALES_ORDER_SIMULATION_SRV")
    request = service.entity_sets.A_SalesOrderSimulation.create_entity().set(
        **AREA, SoldToParty="10000004", to_Item=[{"Material": "NO-SUCH", "RequestedQuantity": "1"}]
    )
    with pytest.raises(pyodata.exceptions.HttpError) as refused:
        request.execute()
    error = refused.value.response.json()["error"]
    assert refused.value.response.status_code == 400
    assert error["innererror"]["errordetails"][0]["target"] == "Material"
