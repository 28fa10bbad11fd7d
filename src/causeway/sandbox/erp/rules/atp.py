"""Available-to-promise: confirm order quantities against plant stock not yet promised.

Free stock = unrestricted stock of the product at the plant minus quantities already confirmed
to other orders and not yet delivered. An item beyond free stock is confirmed only in part;
its remainder is confirmed later, when stock is replenished, and delivered then.
"""

from __future__ import annotations

from decimal import Decimal

from causeway.sandbox.erp.services import product, sales_order
from causeway.sandbox.erp.store import Store

ZERO = Decimal(0)


def plant_stock(store: Store, material: str, plant: str) -> Decimal:
    """Unrestricted stock of `material` at `plant` (zero if the plant is not maintained)."""
    record = store.get(product.PRODUCT_PLANT, (material, plant))
    if record is None:
        return ZERO
    stock: Decimal = record.get("YY1_UnrestrictedStockQuantity") or ZERO
    return stock


def promised(store: Store, material: str, plant: str, exclude_order: str | None = None) -> Decimal:
    """Quantity of `material` at `plant` confirmed to orders but not yet delivered."""
    total = ZERO
    items = store.find(
        sales_order.SALES_ORDER_ITEM,
        {"Material": material, "ProductionPlant": plant},
        {"DeliveryStatus": "C"},
    )
    wanted = {
        (item["SalesOrder"], item["SalesOrderItem"])
        for item in items
        if item["SalesOrder"] != exclude_order
    }
    if not wanted:
        return ZERO
    # One read of the schedule lines of every open order, not one per item.
    orders = frozenset(order for order, _ in wanted)
    for line in store.find_in(sales_order.SCHEDULE_LINE, "SalesOrder", orders):
        if (line["SalesOrder"], line["SalesOrderItem"]) in wanted:
            total += line.get("OpenConfdDelivQtyInOrdQtyUnit") or ZERO
    return total


def free_stock(
    store: Store, material: str, plant: str, exclude_order: str | None = None
) -> Decimal:
    """Stock that can still be promised (never negative)."""
    free = plant_stock(store, material, plant) - promised(store, material, plant, exclude_order)
    return max(free, ZERO)


def confirmable(store: Store, material: str, plant: str, wanted: Decimal) -> Decimal:
    """How much of `wanted` can be confirmed now."""
    return min(wanted, free_stock(store, material, plant))
