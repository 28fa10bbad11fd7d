"""Quote lines priced and confirmed through the ERP sandbox's sales order simulation."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from causeway.connectors.errors import (
    ErrorClass,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.connectors.s4hana.simulation import QuoteLine, SalesArea, SimulationTimeout
from causeway.sandbox.faults import FaultPlan
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio
CUSTOMER = "10000002"
AREA = SalesArea("1010", "10", "00")


async def order_count(sandbox: Sandboxes) -> str:
    connector = sandbox.s4()
    try:
        response = await connector.client.request(
            "GET", "API_SALES_ORDER_SRV", "A_SalesOrder/$count"
        )
        return response.text
    finally:
        await connector.aclose()


async def test_quote_lines_are_priced_and_confirmed_without_an_order(sandbox: Sandboxes) -> None:
    products = sandbox.universe.products
    before = await order_count(sandbox)
    connector = sandbox.s4()
    try:
        simulation = await connector.simulate_order(
            CUSTOMER,
            "EUR",
            [QuoteLine(products[0].sku, Decimal(2)), QuoteLine(products[1].sku, Decimal("1.5"))],
        )
        again = await connector.simulate_order(
            CUSTOMER,
            "EUR",
            [QuoteLine(products[0].sku, Decimal(2))],
            sales_area=AREA,
        )
    finally:
        await connector.aclose()
    first, second = simulation.lines
    assert simulation.currency == "EUR"
    assert [line.material for line in simulation.lines] == [products[0].sku, products[1].sku]
    assert first.fully_confirmed
    assert first.confirmed_date is not None
    assert first.net_amount is not None
    assert first.unit_net_price == (first.net_amount / 2).quantize(Decimal("0.01"))
    assert second.requested_quantity == Decimal("1.5")
    assert simulation.net_amount == sum(line.net_amount or 0 for line in simulation.lines)
    assert simulation.credit_status in ("A", "B", "")
    assert again.lines[0].net_amount == first.net_amount
    assert await order_count(sandbox) == before


async def test_a_line_beyond_stock_is_confirmed_in_part(sandbox: Sandboxes) -> None:
    goods = sandbox.universe.products[2]
    plant = max(goods.plants_stock, key=lambda name: goods.plants_stock[name])
    wanted = Decimal(goods.plants_stock[plant]) + 5
    connector = sandbox.s4()
    try:
        simulation = await connector.simulate_order(
            CUSTOMER, "EUR", [QuoteLine(goods.sku, wanted, plant=plant)]
        )
    finally:
        await connector.aclose()
    line = simulation.lines[0]
    assert line.confirmed_quantity == wanted - 5
    assert not line.fully_confirmed
    assert line.plant == plant
    assert any(message.severity == "warning" for message in simulation.messages)


async def test_refusals_name_the_field(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        with pytest.raises(InvalidRecordError) as unknown:
            await connector.simulate_order(CUSTOMER, "EUR", [QuoteLine("NO-SUCH-MAT", Decimal(1))])
        with pytest.raises(InvalidRecordError) as customer:
            await connector.simulate_order(
                "99999999", "EUR", [QuoteLine("X", Decimal(1))], sales_area=AREA
            )
        with pytest.raises(InvalidRecordError) as injected:
            await connector.simulate_order(CUSTOMER, "EUR", [QuoteLine("A' or 1 eq 1", Decimal(1))])
        with pytest.raises(InvalidRecordError) as quantity:
            await connector.simulate_order(CUSTOMER, "EUR", [QuoteLine("A", Decimal(-1))])
    finally:
        await connector.aclose()
    assert (unknown.value.field, unknown.value.record_id) == ("Material", CUSTOMER)
    assert unknown.value.status == 400
    assert customer.value.field == "SoldToParty"
    assert injected.value.field == "Material"
    assert injected.value.status is None  # refused before sending
    assert quantity.value.field == "RequestedQuantity"


async def test_slow_erp_answers_a_timeout_within_the_deadline(sandbox: Sandboxes) -> None:
    goods = sandbox.universe.products[0]
    connector = sandbox.s4()
    sandbox.set_faults("erp", FaultPlan.model_validate({"latency": {"ms": 2000}}))
    try:
        started = time.monotonic()
        with pytest.raises(SimulationTimeout) as slow:
            await connector.simulate_order(
                CUSTOMER, "EUR", [QuoteLine(goods.sku, Decimal(1))], timeout_s=0.3
            )
        elapsed = time.monotonic() - started
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()
    assert elapsed < 1.0
    assert slow.value.error_class is ErrorClass.RETRYABLE


async def test_outage_and_rate_limit_map_to_their_classes(sandbox: Sandboxes) -> None:
    goods = sandbox.universe.products[0]
    line = [QuoteLine(goods.sku, Decimal(1))]
    connector, fresh = sandbox.s4(), sandbox.s4()
    try:
        sandbox.set_faults("erp", FaultPlan.model_validate({"error_rates": {503: 1.0}}))
        with pytest.raises(RetryableError) as outage:
            await connector.simulate_order(CUSTOMER, "EUR", line, sales_area=AREA)
        # The one call of the burst goes to the CSRF token fetch, the POST is refused.
        limit = {"rate_limit": {"requests_per_second": 0.01, "burst": 1}}
        sandbox.set_faults("erp", FaultPlan.model_validate(limit))
        with pytest.raises(ThrottledError):
            await fresh.simulate_order(CUSTOMER, "EUR", line, sales_area=AREA)
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()
        await fresh.aclose()
    assert outage.value.status == 503
