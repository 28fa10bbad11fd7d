"""The CRM's side of one account for account 360: the account itself and its open orders.

Read with SOQL built by `connectors.salesforce.soql` from values (never by pasting an id into
text), through the Salesforce connector's client, so its token, daily-limit reserve and error
classes apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from causeway.connectors.s4hana.customer_account import Scan
from causeway.connectors.salesforce.client import SalesforceClient
from causeway.connectors.salesforce.soql import Query, compare, is_in

OPEN_ERP_STATUSES = ("Open", "In Delivery", "Partially Delivered")
"""Orders the ERP has not yet delivered in full, invoiced or cancelled."""
_ORDER_FIELDS = (
    "Id", "OrderNumber", "Status", "EffectiveDate", "TotalAmount", "CurrencyIsoCode",
    "ERP_Sales_Order__c", "ERP_Status__c",
)


@dataclass(frozen=True)
class CrmAccount:
    """The account as the CRM holds it."""

    account_id: str
    name: str
    erp_customer: str | None
    credit_blocked: bool


@dataclass(frozen=True)
class CrmOrder:
    """An order of the account in the CRM that the ERP has not finished."""

    order_id: str
    order_number: str
    status: str
    effective_date: date | None
    total_amount: Decimal | None
    currency: str | None
    erp_sales_order: str | None
    erp_status: str | None


class CrmAccounts:
    """Reads accounts and their orders through one Salesforce client."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    async def account(self, account_id: str) -> CrmAccount | None:
        """The account, or None when the CRM has no such account."""
        soql = Query(
            "Account", ("Id", "Name", "ERP_Customer_Number__c", "Credit_Block__c"),
            where=compare("Id", "=", account_id), limit=1,
        ).render()
        async for page in self.client.query_pages(soql, object_name="Account"):
            for row in page:
                return CrmAccount(
                    account_id=str(row.get("Id")),
                    name=str(row.get("Name") or ""),
                    erp_customer=_text(row.get("ERP_Customer_Number__c")),
                    credit_blocked=row.get("Credit_Block__c") is True,
                )
        return None

    async def open_orders(self, account_id: str, cap: int) -> Scan[CrmOrder]:
        """Orders of the account the ERP has not finished (or not seen yet), newest first."""
        unfinished = compare("ERP_Status__c", "=", None) | is_in(
            "ERP_Status__c", OPEN_ERP_STATUSES
        )
        soql = Query(
            "Order", _ORDER_FIELDS,
            where=compare("AccountId", "=", account_id) & unfinished,
            order_by=(("EffectiveDate", "DESC"), ("OrderNumber", "DESC")),
            limit=cap + 1,
        ).render()
        found: list[CrmOrder] = []
        async for page in self.client.query_pages(soql, object_name="Order"):
            found.extend(_order(row) for row in page)
            if len(found) > cap:
                break
        return Scan(tuple(found[:cap]), len(found) <= cap)


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _order(row: dict[str, Any]) -> CrmOrder:
    amount: Decimal | None
    try:
        amount = Decimal(str(row["TotalAmount"])) if row.get("TotalAmount") is not None else None
    except InvalidOperation:
        amount = None
    effective = row.get("EffectiveDate")
    return CrmOrder(
        order_id=str(row.get("Id")),
        order_number=str(row.get("OrderNumber") or ""),
        status=str(row.get("Status") or ""),
        effective_date=date.fromisoformat(effective) if isinstance(effective, str) else None,
        total_amount=amount,
        currency=_text(row.get("CurrencyIsoCode")),
        erp_sales_order=_text(row.get("ERP_Sales_Order__c")),
        erp_status=_text(row.get("ERP_Status__c")),
    )
