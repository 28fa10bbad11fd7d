"""Sales orders and their invoices in S/4HANA, for the order-to-cash process.

Creating an order is made retry-safe by a reference the order carries
(`PurchaseOrderByCustomer`, the CRM order number): a create is always preceded by a lookup of
that reference, so a crash between the ERP's answer and our checkpoint never yields a second
order. Credit re-checks, deletion (cancellation before delivery) and reads of the invoices
billed for an order complete what the process needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from causeway.connectors.errors import ConflictError
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.odata import any_of, compare, literal

ORDER_SERVICE = "API_SALES_ORDER_SRV"
BILLING_SERVICE = "API_BILLING_DOCUMENT_SRV"
PRODUCT_SERVICE = "API_PRODUCT_SRV"
REFERENCE = "PurchaseOrderByCustomer"
ORDER_OBJECT = "A_SalesOrder"


@dataclass(frozen=True)
class OrderLine:
    """One item to order: material and quantity in the material's base unit."""

    material: str
    quantity: Decimal


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row without OData's `__metadata` and deferred navigation stubs."""
    plain: dict[str, Any] = {}
    for name, value in row.items():
        if name == "__metadata":
            continue
        if isinstance(value, dict) and "__deferred" in value:
            continue
        if isinstance(value, dict) and "results" in value:
            value = [_plain(child) for child in value["results"]]
        plain[name] = value
    return plain


class SalesOrders:
    """Reads and writes sales orders through API_SALES_ORDER_SRV."""

    def __init__(self, client: S4Client) -> None:
        self.client = client

    async def find(self, reference: str) -> dict[str, Any] | None:
        """The order carrying `reference`, with its items; a second one is a conflict."""
        params = {"$filter": compare(REFERENCE, "eq", reference).text, "$expand": "to_Item"}
        found: list[dict[str, Any]] = []
        async for page in self.client.pages(
            ORDER_SERVICE, ORDER_OBJECT, params, object_name=ORDER_OBJECT
        ):
            found.extend(_plain(row) for row in page)
        if len(found) > 1:
            numbers = ", ".join(str(order["SalesOrder"]) for order in found[:5])
            raise ConflictError(
                f"{len(found)} sales orders carry the reference: {numbers}",
                system=SYSTEM,
                object_name=ORDER_OBJECT,
                record_id=reference,
                field=REFERENCE,
            )
        return found[0] if found else None

    async def ensure(
        self, reference: str, sold_to: str, currency: str, lines: Sequence[OrderLine]
    ) -> tuple[dict[str, Any], bool]:
        """The order for `reference`, created (deep insert of its items) only if none exists;
        returns it and whether it was created now."""
        existing = await self.find(reference)
        if existing is not None:
            return existing, False
        body = {
            "SoldToParty": sold_to,
            "TransactionCurrency": currency,
            REFERENCE: reference,
            "to_Item": [
                {"Material": line.material, "RequestedQuantity": str(line.quantity)}
                for line in lines
            ],
        }
        response = await self.client.request(
            "POST", ORDER_SERVICE, ORDER_OBJECT, json=body, object_name=ORDER_OBJECT,
            record_id=reference,
        )
        created = _plain(response.json()["d"])
        return (await self.get(str(created["SalesOrder"]))) or created, True

    async def get(self, sales_order: str) -> dict[str, Any] | None:
        """The order with its items, or None if it does not exist (any more)."""
        params = {"$filter": compare("SalesOrder", "eq", sales_order).text, "$expand": "to_Item"}
        async for page in self.client.pages(
            ORDER_SERVICE, ORDER_OBJECT, params, object_name=ORDER_OBJECT
        ):
            for row in page:
                return _plain(row)
        return None

    async def recheck_credit(self, sales_order: str) -> dict[str, Any] | None:
        """Save the order's first item again, which runs the credit check anew (as a change
        to a blocked order does in S/4HANA); returns the order as it stands afterwards."""
        order = await self.get(sales_order)
        if order is None or not order.get("to_Item"):
            return order
        item = order["to_Item"][0]
        path = (
            f"A_SalesOrderItem(SalesOrder={literal(sales_order)},"
            f"SalesOrderItem={literal(str(item['SalesOrderItem']))})"
        )
        await self.client.request(
            "PATCH", ORDER_SERVICE, path,
            json={"RequestedQuantity": str(item["RequestedQuantity"])},
            object_name="A_SalesOrderItem", record_id=sales_order,
        )
        return await self.get(sales_order)

    async def delete(self, sales_order: str) -> bool:
        """Delete an order nothing has been delivered for; False if it was gone already."""
        if await self.get(sales_order) is None:
            return False
        await self.client.request(
            "DELETE", ORDER_SERVICE, f"{ORDER_OBJECT}({literal(sales_order)})",
            object_name=ORDER_OBJECT, record_id=sales_order,
        )
        return True

    async def invoices(self, sales_order: str) -> list[dict[str, Any]]:
        """Billing documents (headers) with an item billed for `sales_order`."""
        params = {
            "$filter": compare("SalesDocument", "eq", sales_order).text,
            "$select": "BillingDocument",
        }
        numbers: set[str] = set()
        async for page in self.client.pages(
            BILLING_SERVICE, "A_BillingDocumentItem", params, object_name="A_BillingDocumentItem"
        ):
            numbers.update(str(row["BillingDocument"]) for row in page)
        return await self.billing_documents(sorted(numbers))

    async def billing_documents(self, numbers: Iterable[str]) -> list[dict[str, Any]]:
        """Billing document headers with their items, by number."""
        wanted = list(numbers)
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 40):
            chunk = wanted[start : start + 40]
            params = {"$filter": any_of("BillingDocument", chunk).text, "$expand": "to_Item"}
            async for page in self.client.pages(
                BILLING_SERVICE, "A_BillingDocument", params, object_name="A_BillingDocument"
            ):
                found.extend(_plain(row) for row in page)
        return sorted(found, key=lambda row: str(row["BillingDocument"]))

    async def known_materials(self, materials: Iterable[str]) -> set[str]:
        """Which of `materials` exist as products in the ERP."""
        wanted = sorted(set(materials))
        known: set[str] = set()
        for start in range(0, len(wanted), 40):
            chunk = wanted[start : start + 40]
            params = {"$filter": any_of("Product", chunk).text, "$select": "Product"}
            async for page in self.client.pages(
                PRODUCT_SERVICE, "A_Product", params, object_name="A_Product"
            ):
                known.update(str(row["Product"]) for row in page)
        return known
