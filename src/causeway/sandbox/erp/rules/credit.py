"""Credit management: exposure against limit per customer, and the order credit check.

Exposure = open order value (orders that passed or were released from the credit check, less
what has been invoiced) + open receivables (invoices not yet cleared), in the credit currency.
TotalCreditCheckStatus follows SAP: '' not checked, 'A' passed, 'B' blocked, 'D' released.
"""

from __future__ import annotations

from decimal import Decimal

from causeway.sandbox.erp.rules.pricing import convert
from causeway.sandbox.erp.services import billing_document, business_partner, sales_order
from causeway.sandbox.erp.store import Record, Store

ZERO = Decimal(0)
PASSED = "A"
BLOCKED = "B"
RELEASED = "D"
COUNTS_FOR_EXPOSURE = (PASSED, RELEASED, "")


def credit_area(store: Store, customer: str) -> Record | None:
    """The customer's first sales area, which carries its credit limit and currency."""
    areas = store.scan(business_partner.CUSTOMER_SALES_AREA, lead=customer)
    return areas[0] if areas else None


def billed_nets(store: Store, orders: frozenset[str]) -> dict[str, Decimal]:
    """Net value invoiced per sales order, for many orders in one read."""
    billed: dict[str, Decimal] = {}
    if orders:
        for item in store.find_in(billing_document.BILLING_DOCUMENT_ITEM, "SalesDocument", orders):
            order = item["SalesDocument"]
            billed[order] = billed.get(order, ZERO) + (item.get("NetAmount") or ZERO)
    return billed


def exposure(
    store: Store, customer: str, currency: str, exclude_order: str | None = None
) -> Decimal:
    """Open orders plus open receivables of `customer`, in `currency`."""
    total = ZERO
    counted = [
        order
        for order in store.find(sales_order.SALES_ORDER, {"SoldToParty": customer})
        if order["SalesOrder"] != exclude_order
        and order.get("TotalCreditCheckStatus") in COUNTS_FOR_EXPOSURE
        and order.get("OverallSDProcessStatus") != "C"
    ]
    billed = billed_nets(store, frozenset(order["SalesOrder"] for order in counted))
    for order in counted:
        open_value = (order.get("TotalNetAmount") or ZERO) - billed.get(order["SalesOrder"], ZERO)
        total += convert(open_value, order.get("TransactionCurrency") or currency, currency)
    open_invoices = store.find(
        billing_document.BILLING_DOCUMENT, {"SoldToParty": customer}, {"InvoiceClearingStatus": "C"}
    )
    for invoice in open_invoices:
        amount = invoice.get("TotalGrossAmount") or ZERO
        total += convert(amount, invoice.get("TransactionCurrency") or currency, currency)
    return total.quantize(Decimal("0.001"))


def check_order(
    store: Store, customer: str, order: str, value: Decimal, order_currency: str
) -> str:
    """The credit status order `order` of `value` gets: passed, blocked, or unchecked."""
    area = credit_area(store, customer)
    if area is None or area.get("YY1_CreditLimitAmount") is None:
        return ""
    currency = area.get("Currency") or order_currency
    limit: Decimal = area["YY1_CreditLimitAmount"]
    others = exposure(store, customer, currency, exclude_order=order)
    needed = others + convert(value, order_currency, currency)
    return PASSED if needed <= limit else BLOCKED


def refresh_exposure(store: Store, customer: str) -> None:
    """Write the customer's current exposure onto each of its sales areas."""
    for area in store.scan(business_partner.CUSTOMER_SALES_AREA, lead=customer):
        currency = area.get("Currency") or "EUR"
        value = exposure(store, customer, currency)
        if area.get("YY1_CreditExposureAmount") != value:
            area["YY1_CreditExposureAmount"] = value
            store.replace(business_partner.CUSTOMER_SALES_AREA, area)
