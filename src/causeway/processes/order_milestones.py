"""From what the ERP says about an order to what the CRM shows: status, invoices, payments.

Pure functions over the ERP's own fields (S/4HANA status codes: credit 'B' blocked, 'D'
released; delivery 'A' none, 'B' partly, 'C' fully; InvoiceClearingStatus 'C' paid), so the
milestone rules can be read and tested without either system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from causeway.connectors.s4hana.odata import parse_datetime

CREDIT_BLOCKED = "B"
CREDIT_RELEASED = "D"

OPEN = "Open"
CREDIT_BLOCK = "Credit Block"
RELEASED = "Released"
PARTIALLY_DELIVERED = "Partially Delivered"
DELIVERED = "Delivered"
INVOICED = "Invoiced"
PAID = "Paid"
CANCELLED = "Cancelled"

ORDER_FIELDS = (
    "SalesOrder", "PurchaseOrderByCustomer", "SoldToParty", "TransactionCurrency",
    "TotalNetAmount", "TotalCreditCheckStatus", "OverallTotalDeliveryStatus",
    "OverallSDProcessStatus", "LastChangeDateTime",
)
INVOICE_FIELDS = (
    "BillingDocument", "TotalNetAmount", "TaxAmount", "TotalGrossAmount", "TransactionCurrency",
    "InvoiceClearingStatus", "YY1_NetDueDate", "YY1_ClearingDate", "BillingDocumentDate",
    "BillingDocumentIsCancelled", "LastChangeDateTime",
)

Snapshot = dict[str, Any]


def order_snapshot(order: Mapping[str, Any]) -> Snapshot:
    """The fields of an ERP order the process follows (small enough to travel in an event)."""
    return {name: order.get(name) for name in ORDER_FIELDS}


def invoice_snapshot(invoice: Mapping[str, Any]) -> Snapshot:
    """The fields of a billing document the CRM mirrors, with the orders it bills."""
    snapshot = {name: invoice.get(name) for name in INVOICE_FIELDS}
    items = invoice.get("to_Item") or []
    if isinstance(items, dict):  # as read in a change page: {"results": [...]}
        items = items.get("results") or []
    snapshot["SalesDocuments"] = sorted({str(item["SalesDocument"]) for item in items})
    return snapshot


def credit_blocked(order: Mapping[str, Any]) -> bool:
    """True while the ERP holds the order on its credit check."""
    return order.get("TotalCreditCheckStatus") == CREDIT_BLOCKED


def delivery_started(order: Mapping[str, Any]) -> bool:
    """True once goods left for the order (it can no longer simply be deleted)."""
    return order.get("OverallTotalDeliveryStatus") in ("B", "C")


def _paid(invoice: Mapping[str, Any]) -> bool:
    return invoice.get("InvoiceClearingStatus") == "C"


def _live(invoices: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [invoice for invoice in invoices if not invoice.get("BillingDocumentIsCancelled")]


def is_complete(order: Mapping[str, Any], invoices: Iterable[Mapping[str, Any]]) -> bool:
    """Fully delivered, fully billed (the ERP closed the order) and every invoice paid."""
    live = _live(invoices)
    return order.get("OverallSDProcessStatus") == "C" and bool(live) and all(map(_paid, live))


def crm_status(order: Mapping[str, Any], invoices: Iterable[Mapping[str, Any]]) -> str:
    """The `ERP_Status__c` value for an order in this state."""
    live = _live(invoices)
    if is_complete(order, live):
        return PAID
    if order.get("OverallSDProcessStatus") == "C" and live:
        return INVOICED
    delivery = order.get("OverallTotalDeliveryStatus")
    if delivery == "C":
        return DELIVERED
    if delivery == "B":
        return PARTIALLY_DELIVERED
    credit = order.get("TotalCreditCheckStatus")
    if credit == CREDIT_BLOCKED:
        return CREDIT_BLOCK
    if credit == CREDIT_RELEASED:
        return RELEASED
    return OPEN


def _day(value: Any) -> str | None:
    moment = parse_datetime(value)
    return moment.date().isoformat() if moment else None


def invoice_fields(
    invoice: Mapping[str, Any], crm_order_id: str, account_id: str | None
) -> dict[str, Any]:
    """`Invoice__c` for a billing document, keyed by `ERP_Billing_Document__c`."""
    if invoice.get("BillingDocumentIsCancelled"):
        status = "Cancelled"
    else:
        status = "Paid" if _paid(invoice) else "Open"
    return {
        "ERP_Billing_Document__c": str(invoice["BillingDocument"]),
        "Name": str(invoice["BillingDocument"]),
        "Order__c": crm_order_id,
        "Account__c": account_id,
        "Amount__c": float(str(invoice.get("TotalGrossAmount") or 0)),
        "CurrencyIsoCode": invoice.get("TransactionCurrency"),
        "Status__c": status,
        "Due_Date__c": _day(invoice.get("YY1_NetDueDate")),
    }


def payment_reference(invoice: Mapping[str, Any]) -> str:
    """The payment's key: the invoice it clears (one clearing per invoice in the ERP)."""
    return f"{invoice['BillingDocument']}-CLEARING"


def payment_fields(
    invoice: Mapping[str, Any], crm_invoice_id: str, account_id: str | None
) -> dict[str, Any] | None:
    """`Payment__c` for a cleared invoice, or None while it is unpaid."""
    if not _paid(invoice) or invoice.get("BillingDocumentIsCancelled"):
        return None
    return {
        "ERP_Payment_Reference__c": payment_reference(invoice),
        "Name": f"Payment {invoice['BillingDocument']}",
        "Invoice__c": crm_invoice_id,
        "Account__c": account_id,
        "Amount__c": float(str(invoice.get("TotalGrossAmount") or 0)),
        "CurrencyIsoCode": invoice.get("TransactionCurrency"),
        "Payment_Date__c": _day(invoice.get("YY1_ClearingDate")),
    }
