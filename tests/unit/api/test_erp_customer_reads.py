"""The read-only ERP customer queries on the wire: filters built from values, answers parsed."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr

from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.customer_account import CustomerAccounts

PARTNER = {
    "BusinessPartner": "10000002", "BusinessPartnerFullName": "O'Brien & Sons",
    "SearchTerm2": "ABC", "BusinessPartnerIsBlocked": True, "IsMarkedForArchiving": False,
    "to_Customer": {
        "Customer": "10000002", "OrderIsBlockedForCustomer": "01", "DeliveryIsBlocked": "",
        "BillingIsBlockedForCustomer": "", "PostingIsBlocked": False, "DeletionIndicator": False,
        "to_CustomerSalesArea": {"results": [{
            "SalesOrganization": "1010", "DistributionChannel": "10", "Division": "00",
            "Currency": "EUR", "YY1_CreditLimitAmount": "1000.000",
            "YY1_CreditExposureAmount": "250.500", "OrderIsBlockedForCustomer": "",
            "DeliveryIsBlockedForCustomer": "", "BillingIsBlockedForCustomer": "02",
            "DeletionIndicator": False,
        }]},
    },
}
INVOICE = {
    "BillingDocument": "90000001", "BillingDocumentDate": "/Date(1764979200000)/",
    "TotalNetAmount": "100.00", "TotalGrossAmount": "119.00", "TransactionCurrency": "EUR",
    "InvoiceClearingStatus": "A", "YY1_NetDueDate": "/Date(1767571200000)/",
    "YY1_ClearingDate": None,
}


def accounts(answer: dict[str, Any], seen: list[httpx.Request]) -> CustomerAccounts:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"d": answer})

    settings = S4Settings(base_url="http://erp.test", username="U", password=SecretStr("P"))
    return CustomerAccounts(S4Client(settings, transport=httpx.MockTransport(handle)))


def test_a_reference_with_a_quote_cannot_change_the_filter() -> None:
    seen: list[httpx.Request] = []
    reads = accounts({"results": []}, seen)

    assert asyncio.run(reads.customer(reference="X' or SearchTerm2 ne 'Y")) is None

    query = seen[0].url.params
    assert query["$filter"] == "SearchTerm2 eq 'X'' or SearchTerm2 ne ''Y'"
    assert query["$expand"] == "to_Customer/to_CustomerSalesArea"


def test_a_partner_is_read_with_its_blocks_and_credit() -> None:
    seen: list[httpx.Request] = []
    customer = asyncio.run(accounts({"results": [PARTNER]}, seen).customer(customer="10000002"))

    assert customer is not None
    assert (customer.name, customer.reference) == ("O'Brien & Sons", "ABC")
    assert (customer.centrally_blocked, customer.order_block) == (True, "01")
    area = customer.first_sales_area
    assert area is not None
    assert (area.credit_limit, area.credit_exposure) == (Decimal("1000.000"), Decimal("250.500"))
    assert area.credit_headroom == Decimal("749.500")
    assert area.billing_block == "02"
    assert seen[0].url.params["$filter"] == "Customer eq '10000002'"


def test_a_partner_without_a_customer_role_is_no_customer() -> None:
    person = {key: value for key, value in PARTNER.items() if key != "to_Customer"}
    assert asyncio.run(accounts({"results": [person]}, []).customer(business_partner="1")) is None


def test_open_invoices_are_asked_for_by_customer_and_status_and_capped() -> None:
    seen: list[httpx.Request] = []
    reads = accounts({"results": [INVOICE, {**INVOICE, "BillingDocument": "90000002"}]}, seen)

    scan = asyncio.run(reads.open_invoices("10000002", 1))

    assert scan.complete is False
    [invoice] = scan.items
    assert (invoice.billing_document, invoice.gross_amount) == ("90000001", Decimal("119.00"))
    assert (invoice.billing_date, invoice.due_on) == (date(2025, 12, 6), date(2026, 1, 5))
    assert not invoice.cleared
    query = seen[0].url.params
    assert query["$filter"] == (
        "((SoldToParty eq '10000002' and InvoiceClearingStatus ne 'C') "
        "and BillingDocumentIsCancelled eq false)"
    )
    assert query["$top"] == "2"
