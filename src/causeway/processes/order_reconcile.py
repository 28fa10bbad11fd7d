"""Prove the CRM shows what the ERP did with its orders: one ERP order per CRM order, the
same status, an invoice per billing document and a payment per cleared one, equal amounts.

Reads both systems afresh (not the instances' memory), so it also catches a write that went
missing or a record someone changed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from causeway.connectors.salesforce.soql import Query, chunks, is_in
from causeway.processes.order_milestones import crm_status, payment_reference
from causeway.processes.order_systems import OrderSystems

CENT = Decimal("0.01")


@dataclass
class OrderReconciliation:
    """What was compared and every difference found, each naming the order and the field."""

    orders: int = 0
    invoices: int = 0
    payments: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when both systems agree on every order compared."""
        return not self.differences


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


async def _rows(systems: OrderSystems, query: Query) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for page in systems.salesforce.client.query_pages(query.render()):
        rows.extend(page)
    return rows


async def _rows_in(
    systems: OrderSystems, object_name: str, fields: Sequence[str], name: str,
    values: Sequence[str],
) -> list[dict[str, Any]]:
    """Rows whose `name` is one of `values`, a query per chunk of them."""
    rows: list[dict[str, Any]] = []
    for chunk in chunks(values):
        rows.extend(await _rows(systems, Query(object_name, fields, where=is_in(name, chunk))))
    return rows


async def _reconcile(systems: OrderSystems, order_ids: Sequence[str]) -> OrderReconciliation:
    report = OrderReconciliation()
    invoice_rows = await _rows_in(
        systems, "Invoice__c",
        ("Id", "Order__c", "ERP_Billing_Document__c", "Amount__c", "Status__c"),
        "Order__c", order_ids,
    )
    payment_rows = await _rows_in(
        systems, "Payment__c", ("Id", "Invoice__c", "ERP_Payment_Reference__c", "Amount__c"),
        "Invoice__c", [row["Id"] for row in invoice_rows],
    )
    crm_invoices = {str(row["ERP_Billing_Document__c"]): row for row in invoice_rows}
    crm_payments = {str(row["ERP_Payment_Reference__c"]): row for row in payment_rows}
    for order_id in order_ids:
        order = await systems.crm.get(order_id)
        if order is None:
            report.differences.append(f"CRM order {order_id}: does not exist")
            continue
        report.orders += 1
        where = f"order {order.number} ({order_id})"
        erp_order = await systems.erp.find(order.number)
        if erp_order is None:
            if order.erp_status != "Cancelled":
                report.differences.append(f"{where}: no ERP order carries its number")
            continue
        if order.erp_sales_order != str(erp_order["SalesOrder"]):
            report.differences.append(
                f"{where}: field ERP_Sales_Order__c is {order.erp_sales_order}, "
                f"the ERP order is {erp_order['SalesOrder']}"
            )
        invoices = await systems.erp.invoices(str(erp_order["SalesOrder"]))
        expected = crm_status(erp_order, invoices)
        if order.erp_status != expected:
            report.differences.append(
                f"{where}: field ERP_Status__c is {order.erp_status}, the ERP says {expected}"
            )
        for invoice in invoices:
            _compare_invoice(report, where, invoice, crm_invoices, crm_payments)
    return report


def _compare_invoice(
    report: OrderReconciliation,
    where: str,
    invoice: dict[str, Any],
    crm_invoices: dict[str, dict[str, Any]],
    crm_payments: dict[str, dict[str, Any]],
) -> None:
    number = str(invoice["BillingDocument"])
    gross = _amount(invoice.get("TotalGrossAmount"))
    paid = invoice.get("InvoiceClearingStatus") == "C"
    mirrored = crm_invoices.get(number)
    if mirrored is None:
        report.differences.append(f"{where}: billing document {number} has no Invoice__c")
        return
    report.invoices += 1
    if _amount(mirrored.get("Amount__c")) != gross:
        report.differences.append(
            f"{where}: Invoice__c {number} field Amount__c is {mirrored.get('Amount__c')}, "
            f"the ERP billed {gross}"
        )
    if mirrored.get("Status__c") != ("Paid" if paid else "Open"):
        report.differences.append(
            f"{where}: Invoice__c {number} field Status__c is {mirrored.get('Status__c')}"
        )
    payment = crm_payments.get(payment_reference(invoice))
    if paid and payment is None:
        report.differences.append(f"{where}: billing document {number} is paid, no Payment__c")
    elif not paid and payment is not None:
        report.differences.append(f"{where}: Payment__c for unpaid billing document {number}")
    elif payment is not None:
        report.payments += 1
        if _amount(payment.get("Amount__c")) != gross:
            report.differences.append(
                f"{where}: Payment__c for {number} field Amount__c is {payment.get('Amount__c')}"
            )


def reconcile_orders(systems: OrderSystems, order_ids: Sequence[str]) -> OrderReconciliation:
    """Compare each CRM order with its ERP order, invoices and payments."""
    return systems.run(lambda: _reconcile(systems, order_ids))
