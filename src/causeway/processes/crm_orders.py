"""The CRM side of order-to-cash: read an order with its lines, write back what the ERP did.

Every write is idempotent: the order is updated by its id; invoices and payments are upserted
by the ERP's document number (`ERP_Billing_Document__c`, `ERP_Payment_Reference__c`), so a
step repeated after a crash finds and updates the record it created the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ConnectorError, InvalidRecordError
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.connectors.salesforce.soql import Query, compare

ORDER_FIELDS = (
    "Id", "OrderNumber", "AccountId", "Status", "CurrencyIsoCode", "EffectiveDate",
    "ERP_Sales_Order__c", "ERP_Status__c", "TotalAmount", "OpportunityId", "SystemModstamp",
)
LINE_FIELDS = (
    "Id", "OrderId", "Product2Id", "Quantity", "UnitPrice", "TotalPrice",
    "Product2.ProductCode", "Product2.ERP_Material__c",
)


@dataclass(frozen=True)
class CrmLine:
    """One order product as the CRM holds it."""

    line_id: str
    product_id: str | None
    product_code: str | None
    material: str | None
    quantity: Decimal
    unit_price: Decimal | None


@dataclass(frozen=True)
class CrmOrder:
    """An order header with its lines."""

    order_id: str
    number: str
    account_id: str | None
    status: str
    currency: str
    erp_sales_order: str | None
    erp_status: str | None
    lines: tuple[CrmLine, ...]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


class CrmOrders:
    """Orders, invoices and payments in the CRM, through the Salesforce connector."""

    def __init__(self, connector: SalesforceConnector) -> None:
        self.connector = connector

    async def get(self, order_id: str) -> CrmOrder | None:
        """The order and its lines, or None if it does not exist."""
        client = self.connector.client
        header_query = Query("Order", ORDER_FIELDS, where=compare("Id", "=", order_id))
        header: dict[str, Any] | None = None
        async for page in client.query_pages(header_query.render(), object_name="Order"):
            header = page[0] if page else header
        if header is None:
            return None
        line_query = Query(
            "OrderItem", LINE_FIELDS, where=compare("OrderId", "=", order_id),
            order_by=(("Id", "ASC"),),
        )
        lines: list[CrmLine] = []
        async for page in client.query_pages(line_query.render(), object_name="OrderItem"):
            for row in page:
                product = row.get("Product2") or {}
                lines.append(CrmLine(
                    line_id=str(row["Id"]),
                    product_id=row.get("Product2Id"),
                    product_code=product.get("ProductCode"),
                    material=product.get("ERP_Material__c") or None,
                    quantity=_decimal(row.get("Quantity")) or Decimal(0),
                    unit_price=_decimal(row.get("UnitPrice")),
                ))
        return CrmOrder(
            order_id=str(header["Id"]),
            number=str(header["OrderNumber"]),
            account_id=header.get("AccountId"),
            status=str(header.get("Status") or ""),
            currency=str(header.get("CurrencyIsoCode") or ""),
            erp_sales_order=header.get("ERP_Sales_Order__c") or None,
            erp_status=header.get("ERP_Status__c") or None,
            lines=tuple(lines),
        )

    async def order_from_opportunity(self, opportunity_id: str) -> str:
        """The order of a won opportunity, created once (keyed by the opportunity in
        `Causeway_Id__c`) with its products, then activated; answers the order id."""
        client = self.connector.client
        reference = f"opportunity:{opportunity_id}"
        opportunity: dict[str, Any] | None = None
        query = Query(
            "Opportunity", ("Id", "AccountId", "CloseDate", "CurrencyIsoCode", "Pricebook2Id"),
            where=compare("Id", "=", opportunity_id),
        )
        async for page in client.query_pages(query.render(), object_name="Opportunity"):
            opportunity = page[0] if page else opportunity
        if opportunity is None:
            raise InvalidRecordError(
                "the opportunity does not exist", system=self.connector.system,
                object_name="Opportunity", record_id=opportunity_id,
            )
        existing = Query("Order", ("Id",), where=compare("Causeway_Id__c", "=", reference))
        async for page in client.query_pages(existing.render(), object_name="Order"):
            for row in page:
                return await self._complete_from(opportunity_id, str(row["Id"]))
        order_id = await self._write(WriteRequest(
            "Order", WriteOperation.UPSERT,
            WriteKey(external_field="Causeway_Id__c", external_value=reference),
            {
                "AccountId": opportunity.get("AccountId"),
                "OpportunityId": opportunity_id,
                "EffectiveDate": opportunity.get("CloseDate"),
                "CurrencyIsoCode": opportunity.get("CurrencyIsoCode"),
                "Pricebook2Id": opportunity.get("Pricebook2Id"),
                "Status": "Draft",
            },
            idempotency_key=reference,
        ))
        return await self._complete_from(opportunity_id, order_id)

    async def _complete_from(self, opportunity_id: str, order_id: str) -> str:
        """Copy the products and activate, unless that was done before."""
        order = await self.get(order_id)
        if order is not None and order.status == "Draft":
            await self._copy_products(opportunity_id, order)
            await self.stamp(order_id, {"Status": "Activated"})
        return order_id

    async def _copy_products(self, opportunity_id: str, order: CrmOrder) -> None:
        """Opportunity products become order products; those copied before stay single."""
        client = self.connector.client
        query = Query(
            "OpportunityLineItem", ("Id", "PricebookEntryId", "Quantity", "UnitPrice"),
            where=compare("OpportunityId", "=", opportunity_id), order_by=(("Id", "ASC"),),
        )
        present = [line.product_id for line in order.lines]
        path = f"{client.data_path}/sobjects/OrderItem"
        async for page in client.query_pages(query.render(), object_name="OpportunityLineItem"):
            for row in page:
                entry = await self._entry_product(str(row["PricebookEntryId"]))
                if entry in present:
                    present.remove(entry)
                    continue
                await client.request("POST", path, object_name="OrderItem", json={
                    "OrderId": order.order_id,
                    "PricebookEntryId": row["PricebookEntryId"],
                    "Quantity": row["Quantity"],
                    "UnitPrice": row["UnitPrice"],
                })

    async def _entry_product(self, entry_id: str) -> str | None:
        query = Query("PricebookEntry", ("Id", "Product2Id"), where=compare("Id", "=", entry_id))
        async for page in self.connector.client.query_pages(
            query.render(), object_name="PricebookEntry"
        ):
            for row in page:
                return row.get("Product2Id")
        return None

    async def stamp(self, order_id: str, fields: dict[str, Any]) -> None:
        """Write ERP-owned fields (`ERP_Sales_Order__c`, `ERP_Status__c`) onto the order."""
        await self._write(WriteRequest(
            "Order", WriteOperation.UPDATE, WriteKey(system_id=order_id), fields,
            idempotency_key=f"order:{order_id}:{sorted(fields.items())}",
        ))

    async def upsert_invoice(self, fields: dict[str, Any]) -> str:
        """Create or update the invoice keyed by its billing document; returns its id."""
        number = str(fields["ERP_Billing_Document__c"])
        body = {name: value for name, value in fields.items() if name != "ERP_Billing_Document__c"}
        return await self._write(WriteRequest(
            "Invoice__c", WriteOperation.UPSERT,
            WriteKey(external_field="ERP_Billing_Document__c", external_value=number), body,
            idempotency_key=f"invoice:{number}",
        ))

    async def upsert_payment(self, fields: dict[str, Any]) -> str:
        """Create or update the payment keyed by its ERP reference; returns its id."""
        reference = str(fields["ERP_Payment_Reference__c"])
        body = {
            name: value for name, value in fields.items() if name != "ERP_Payment_Reference__c"
        }
        return await self._write(WriteRequest(
            "Payment__c", WriteOperation.UPSERT,
            WriteKey(external_field="ERP_Payment_Reference__c", external_value=reference), body,
            idempotency_key=f"payment:{reference}",
        ))

    async def _write(self, request: WriteRequest) -> str:
        (result,) = await self.connector.write([request])
        if result.error is not None:
            raise result.error
        if result.system_id is None:
            raise ConnectorError(
                "the write answered no id", system=self.connector.system,
                object_name=request.object_name, record_id=request.key.describe(),
            )
        return result.system_id
