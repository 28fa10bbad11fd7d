"""The milestone rules: what the CRM shows for each state of an ERP order and its invoices,
and the invoice and payment records mirrored from billing documents."""

from __future__ import annotations

from typing import Any

import pytest

from causeway.processes.order_milestones import (
    crm_status,
    invoice_fields,
    invoice_snapshot,
    is_complete,
    payment_fields,
)

DUE = "/Date(1800403200000)/"  # 2027-01-20


def order(credit: str = "A", delivery: str = "A", overall: str = "A") -> dict[str, Any]:
    return {"TotalCreditCheckStatus": credit, "OverallTotalDeliveryStatus": delivery,
            "OverallSDProcessStatus": overall}


def invoice(clearing: str = "A", cancelled: bool = False) -> dict[str, Any]:
    return {"BillingDocument": "90000001", "TotalGrossAmount": "119.000",
            "TransactionCurrency": "EUR", "InvoiceClearingStatus": clearing,
            "YY1_NetDueDate": DUE, "YY1_ClearingDate": DUE if clearing == "C" else None,
            "BillingDocumentIsCancelled": cancelled}


@pytest.mark.parametrize(("erp_order", "invoices", "expected"), [
    (order(), [], "Open"),
    (order(credit="B"), [], "Credit Block"),
    (order(credit="D"), [], "Released"),
    (order(delivery="B", overall="B"), [], "Partially Delivered"),
    (order(delivery="C", overall="B"), [], "Delivered"),
    (order(delivery="C", overall="C"), [invoice()], "Invoiced"),
    (order(delivery="C", overall="C"), [invoice("C")], "Paid"),
    (order(delivery="C", overall="C"), [invoice("C"), invoice("A")], "Invoiced"),
    (order(delivery="C", overall="C"), [invoice(cancelled=True)], "Delivered"),
])
def test_the_crm_status_follows_the_erp(
    erp_order: dict[str, Any], invoices: list[dict[str, Any]], expected: str
) -> None:
    assert crm_status(erp_order, invoices) == expected
    assert is_complete(erp_order, invoices) == (expected == "Paid")


def test_an_invoice_is_mirrored_with_its_gross_amount_and_due_date() -> None:
    fields = invoice_fields(invoice(), "801A", "001A")
    assert fields == {
        "ERP_Billing_Document__c": "90000001", "Name": "90000001", "Order__c": "801A",
        "Account__c": "001A", "Amount__c": 119.0, "CurrencyIsoCode": "EUR",
        "Status__c": "Open", "Due_Date__c": "2027-01-20",
    }
    assert payment_fields(invoice(), "a00A", "001A") is None


def test_a_cleared_invoice_gets_one_payment_keyed_by_the_invoice() -> None:
    paid = invoice("C")
    assert invoice_fields(paid, "801A", "001A")["Status__c"] == "Paid"
    assert payment_fields(paid, "a00A", "001A") == {
        "ERP_Payment_Reference__c": "90000001-CLEARING", "Name": "Payment 90000001",
        "Invoice__c": "a00A", "Account__c": "001A", "Amount__c": 119.0,
        "CurrencyIsoCode": "EUR", "Payment_Date__c": "2027-01-20",
    }


def test_an_invoice_snapshot_names_the_orders_it_bills_however_items_arrive() -> None:
    items = [{"SalesDocument": "7"}, {"SalesDocument": "3"}, {"SalesDocument": "7"}]
    assert invoice_snapshot(invoice() | {"to_Item": items})["SalesDocuments"] == ["3", "7"]
    wrapped = invoice() | {"to_Item": {"results": items}}
    assert invoice_snapshot(wrapped)["SalesDocuments"] == ["3", "7"]
