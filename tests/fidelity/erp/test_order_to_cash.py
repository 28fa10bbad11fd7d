"""Order-to-cash business rules, observed through pyodata as an integration would see them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from causeway.sandbox.seed import SeedUniverse

HOURS = 60


def _order(odata: Callable[[str], Any], customer: str, material: str, quantity: str) -> Any:
    orders = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrder
    return (
        orders.create_entity()
        .set(SoldToParty=customer,
             to_Item=[{"Material": material, "RequestedQuantity": quantity, "NetAmount": "1.00"}])
        .execute()
    )


def _sales_area(odata: Callable[[str], Any], customer: str) -> Any:
    areas = odata("API_BUSINESS_PARTNER").entity_sets.A_CustomerSalesArea
    return areas.get_entities().filter(f"Customer eq '{customer}'").execute()[0]


def test_pricing_ignores_the_client_net_amount(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    product = universe.products[1]
    order = _order(odata, "10000010", product.sku, "3")
    item = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrderItem.get_entity(
        SalesOrder=order.SalesOrder, SalesOrderItem="10"
    ).execute()
    assert Decimal(item.NetAmount) > Decimal("1.00")
    assert Decimal(order.TotalNetAmount) == Decimal(item.NetAmount)


def test_available_to_promise_confirms_only_stock(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    product = universe.products[2]
    stock = max(product.plants_stock.values())
    order = _order(odata, "10000011", product.sku, str(stock + 500))
    line = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrderScheduleLine.get_entities() \
        .filter(f"SalesOrder eq '{order.SalesOrder}'").execute()[0]
    assert Decimal(line.ScheduleLineOrderQuantity) == stock + 500
    assert Decimal(line.ConfdOrderQtyByMatlAvailCheck) == stock


def test_credit_block_holds_delivery_until_released(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]], universe: SeedUniverse
) -> None:
    product = max(universe.products, key=lambda p: p.list_price)
    limit = Decimal(_sales_area(odata, "10000012").YY1_CreditLimitAmount)
    quantity = (2 * limit / product.list_price).to_integral_value() + 10
    order = _order(odata, "10000012", product.sku, str(quantity))
    assert order.TotalCreditCheckStatus == "B"
    admin("clock/advance", {"minutes": 24 * HOURS})
    orders = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrder
    assert orders.get_entity(order.SalesOrder).execute().OverallTotalDeliveryStatus == "A"
    released = admin(f"sales-orders/{order.SalesOrder}/release-credit")
    admin("clock/advance", {"minutes": 5 * HOURS})
    assert released["TotalCreditCheckStatus"] == "D"
    assert orders.get_entity(order.SalesOrder).execute().OverallTotalDeliveryStatus != "A"


def test_lifecycle_runs_from_order_to_payment(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]], universe: SeedUniverse
) -> None:
    product = min(universe.products, key=lambda p: p.list_price)
    order = _order(odata, "10000013", product.sku, "1")
    assert order.TotalCreditCheckStatus == "A"
    admin("clock/advance", {"minutes": 4 * HOURS})
    deliveries = odata("API_OUTBOUND_DELIVERY_SRV;v=0002").entity_sets.A_OutbDeliveryItem \
        .get_entities().filter(f"ReferenceSDDocument eq '{order.SalesOrder}'").execute()
    assert len(deliveries) == 1
    admin("clock/advance", {"minutes": 2 * HOURS})
    billing = odata("API_BILLING_DOCUMENT_SRV")
    items = billing.entity_sets.A_BillingDocumentItem.get_entities() \
        .filter(f"SalesDocument eq '{order.SalesOrder}'").execute()
    invoice = billing.entity_sets.A_BillingDocument.get_entity(items[0].BillingDocument).execute()
    assert invoice.InvoiceClearingStatus == "A"
    assert items[0].ReferenceSDDocument == deliveries[0].DeliveryDocument
    admin("clock/advance", {"minutes": 70 * 24 * HOURS})
    paid = billing.entity_sets.A_BillingDocument.get_entity(invoice.BillingDocument).execute()
    done = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrder.get_entity(
        order.SalesOrder).execute()
    assert paid.InvoiceClearingStatus == "C"
    assert paid.LastChangeDateTime > invoice.LastChangeDateTime
    assert done.OverallSDProcessStatus == "C"
