"""A customer's standing in S/4HANA, read-only: blocks, credit, open orders, invoices, payments.

The process APIs ask whether a quote can become an order and show one customer across
systems; both need the ERP's view of the customer without touching the sync's read path.
Blocks come from the business partner (central block, archiving flag), its customer role
(order, delivery, billing and posting blocks, deletion flag) and each sales area; credit
limit and exposure live on the sales area (YY1_ fields, as the ERP sandbox and many S/4HANA
extensions expose Credit Management there). Every `$filter` is built from values with
`odata.compare`, never by pasting them into text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.odata import Filter, compare, parse_datetime

PARTNER_SERVICE = "API_BUSINESS_PARTNER"
ORDER_SERVICE = "API_SALES_ORDER_SRV"
BILLING_SERVICE = "API_BILLING_DOCUMENT_SRV"
COMPLETED = "C"
"""SAP's status value for completed processing, fully cleared or fully rejected."""

T = TypeVar("T")


@dataclass(frozen=True)
class SalesArea:
    """The customer in one sales area: its blocks, currency, credit limit and exposure."""

    sales_organization: str
    distribution_channel: str
    division: str
    currency: str | None
    credit_limit: Decimal | None
    credit_exposure: Decimal | None
    order_block: str
    delivery_block: str
    billing_block: str
    deleted: bool

    @property
    def credit_headroom(self) -> Decimal | None:
        """Credit limit less exposure; None without a limit (no credit check)."""
        if self.credit_limit is None:
            return None
        return self.credit_limit - (self.credit_exposure or Decimal(0))


@dataclass(frozen=True)
class ErpCustomer:
    """A business partner in its customer role, with what decides whether it may order."""

    business_partner: str
    customer: str
    name: str
    reference: str
    """SearchTerm2: the reference Causeway's writes stamp on the partners it creates."""
    centrally_blocked: bool
    archived: bool
    order_block: str
    delivery_block: str
    billing_block: str
    posting_blocked: bool
    deleted: bool
    sales_areas: tuple[SalesArea, ...]

    @property
    def first_sales_area(self) -> SalesArea | None:
        """The area orders are simulated in by default, which also carries the credit data."""
        return self.sales_areas[0] if self.sales_areas else None


@dataclass(frozen=True)
class SalesOrderSummary:
    """One sales order header, as the account view lists it."""

    sales_order: str
    created_on: date | None
    customer_reference: str
    net_amount: Decimal
    currency: str
    overall_status: str
    delivery_status: str
    credit_status: str
    requested_delivery_date: date | None


@dataclass(frozen=True)
class InvoiceSummary:
    """One billing document header with its clearing (payment) status."""

    billing_document: str
    billing_date: date | None
    net_amount: Decimal
    gross_amount: Decimal
    currency: str
    clearing_status: str
    due_on: date | None
    cleared_on: date | None

    @property
    def cleared(self) -> bool:
        """True once the customer has paid it (the receivable is cleared)."""
        return self.clearing_status == COMPLETED


@dataclass(frozen=True)
class Scan(Generic[T]):
    """Documents read up to a cap; `complete` is False when more were there."""

    items: tuple[T, ...]
    complete: bool


class CustomerAccounts:
    """Reads customers and their documents through one S/4 client (its connections and pacing)."""

    def __init__(self, client: S4Client) -> None:
        self.client = client

    async def customer(
        self,
        *,
        business_partner: str | None = None,
        customer: str | None = None,
        reference: str | None = None,
    ) -> ErpCustomer | None:
        """The customer by partner number, customer number or reference (exactly one)."""
        given = [
            (name, value)
            for name, value in (
                ("BusinessPartner", business_partner),
                ("Customer", customer),
                ("SearchTerm2", reference),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError("name exactly one of business_partner, customer, reference")
        name, value = given[0]
        params = {
            "$filter": compare(name, "eq", value).text,
            "$expand": "to_Customer/to_CustomerSalesArea",
            "$top": "2",
        }
        response = await self.client.request(
            "GET", PARTNER_SERVICE, "A_BusinessPartner", params=params,
            object_name="A_BusinessPartner", record_id=value,
        )
        rows = [row for row in _results(response.json().get("d")) if row.get("to_Customer")]
        return _customer(rows[0]) if len(rows) == 1 else None

    async def open_sales_orders(self, customer: str, cap: int) -> Scan[SalesOrderSummary]:
        """Orders of `customer` not yet completed or rejected, newest first, up to `cap`."""
        condition = (
            compare("SoldToParty", "eq", customer)
            & compare("OverallSDProcessStatus", "ne", COMPLETED)
            & compare("OverallSDDocumentRejectionSts", "ne", COMPLETED)
        )
        fields = (
            "SalesOrder,CreationDate,PurchaseOrderByCustomer,TotalNetAmount,TransactionCurrency,"
            "OverallSDProcessStatus,OverallTotalDeliveryStatus,TotalCreditCheckStatus,"
            "RequestedDeliveryDate"
        )
        return await self._scan(
            ORDER_SERVICE, "A_SalesOrder", condition, fields,
            "CreationDate desc,SalesOrder desc", cap, _order,
        )

    async def open_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        """Invoices of `customer` not yet cleared nor cancelled, oldest due first."""
        condition = (
            compare("SoldToParty", "eq", customer)
            & compare("InvoiceClearingStatus", "ne", COMPLETED)
            & compare("BillingDocumentIsCancelled", "eq", False)
        )
        return await self._scan(
            BILLING_SERVICE, "A_BillingDocument", condition, _INVOICE_FIELDS,
            "YY1_NetDueDate asc,BillingDocument asc", cap, _invoice,
        )

    async def cleared_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        """The latest invoices of `customer` that were paid (cleared), latest first."""
        condition = compare("SoldToParty", "eq", customer) & compare(
            "InvoiceClearingStatus", "eq", COMPLETED
        )
        return await self._scan(
            BILLING_SERVICE, "A_BillingDocument", condition, _INVOICE_FIELDS,
            "YY1_ClearingDate desc,BillingDocument desc", cap, _invoice,
        )

    async def _scan(
        self,
        service: str,
        entity_set: str,
        condition: Filter,
        fields: str,
        order: str,
        cap: int,
        parse: Callable[[dict[str, Any]], T],
    ) -> Scan[T]:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        params = {
            "$filter": condition.text, "$select": fields, "$orderby": order, "$top": str(cap + 1)
        }
        found: list[T] = []
        async for page in self.client.pages(service, entity_set, params, object_name=entity_set):
            found.extend(parse(row) for row in page)
            if len(found) > cap:
                break
        return Scan(tuple(found[:cap]), len(found) <= cap)


_INVOICE_FIELDS = (
    "BillingDocument,BillingDocumentDate,TotalNetAmount,TotalGrossAmount,TransactionCurrency,"
    "InvoiceClearingStatus,YY1_NetDueDate,YY1_ClearingDate"
)


def _results(value: object) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("results"), list):
            return [row for row in value["results"] if isinstance(row, dict)]
        return [value] if value else []
    return []


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value)


def _flag(row: dict[str, Any], name: str) -> bool:
    return row.get(name) is True or str(row.get(name)).lower() in ("true", "x")


def _amount(row: dict[str, Any], name: str) -> Decimal | None:
    value = row.get(name)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _day(row: dict[str, Any], name: str) -> date | None:
    try:
        moment = parse_datetime(row.get(name))
    except ValueError:
        return None
    return moment.date() if moment is not None else None


def _area(row: dict[str, Any]) -> SalesArea:
    return SalesArea(
        sales_organization=_text(row, "SalesOrganization"),
        distribution_channel=_text(row, "DistributionChannel"),
        division=_text(row, "Division"),
        currency=_text(row, "Currency") or None,
        credit_limit=_amount(row, "YY1_CreditLimitAmount"),
        credit_exposure=_amount(row, "YY1_CreditExposureAmount"),
        order_block=_text(row, "OrderIsBlockedForCustomer"),
        delivery_block=_text(row, "DeliveryIsBlockedForCustomer"),
        billing_block=_text(row, "BillingIsBlockedForCustomer"),
        deleted=_flag(row, "DeletionIndicator"),
    )


def _customer(row: dict[str, Any]) -> ErpCustomer:
    role = _results(row.get("to_Customer"))[0]
    areas: Sequence[dict[str, Any]] = _results(role.get("to_CustomerSalesArea"))
    return ErpCustomer(
        business_partner=_text(row, "BusinessPartner"),
        customer=_text(role, "Customer"),
        name=_text(row, "BusinessPartnerFullName") or _text(role, "CustomerName"),
        reference=_text(row, "SearchTerm2"),
        centrally_blocked=_flag(row, "BusinessPartnerIsBlocked"),
        archived=_flag(row, "IsMarkedForArchiving"),
        order_block=_text(role, "OrderIsBlockedForCustomer"),
        delivery_block=_text(role, "DeliveryIsBlocked"),
        billing_block=_text(role, "BillingIsBlockedForCustomer"),
        posting_blocked=_flag(role, "PostingIsBlocked"),
        deleted=_flag(role, "DeletionIndicator"),
        sales_areas=tuple(_area(area) for area in areas),
    )


def _order(row: dict[str, Any]) -> SalesOrderSummary:
    return SalesOrderSummary(
        sales_order=_text(row, "SalesOrder"),
        created_on=_day(row, "CreationDate"),
        customer_reference=_text(row, "PurchaseOrderByCustomer"),
        net_amount=_amount(row, "TotalNetAmount") or Decimal(0),
        currency=_text(row, "TransactionCurrency"),
        overall_status=_text(row, "OverallSDProcessStatus"),
        delivery_status=_text(row, "OverallTotalDeliveryStatus"),
        credit_status=_text(row, "TotalCreditCheckStatus"),
        requested_delivery_date=_day(row, "RequestedDeliveryDate"),
    )


def _invoice(row: dict[str, Any]) -> InvoiceSummary:
    return InvoiceSummary(
        billing_document=_text(row, "BillingDocument"),
        billing_date=_day(row, "BillingDocumentDate"),
        net_amount=_amount(row, "TotalNetAmount") or Decimal(0),
        gross_amount=_amount(row, "TotalGrossAmount") or Decimal(0),
        currency=_text(row, "TransactionCurrency"),
        clearing_status=_text(row, "InvoiceClearingStatus"),
        due_on=_day(row, "YY1_NetDueDate"),
        cleared_on=_day(row, "YY1_ClearingDate"),
    )
