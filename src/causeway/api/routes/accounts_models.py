"""Query and answer bodies of `GET /v1/accounts/{key}` (account 360).

Each list is a page (`limit`, `offset`) of the documents read, with their count and totals
per currency over all of them; `complete: false` means more documents exist than were read
(`--account-scan-cap`), so count and totals cover only those. Amounts are decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from causeway.api.account_view import AccountView, CrmPart, ErpPart
from causeway.api.crm_account import CrmOrder
from causeway.connectors.s4hana.customer_account import (
    ErpCustomer,
    InvoiceSummary,
    SalesOrderSummary,
    Scan,
)

T = TypeVar("T")
Item = TypeVar("Item", bound=BaseModel)
MAX_LIMIT = 200


class AccountQuery(BaseModel):
    """The page of each list: at most `limit` items from `offset`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="items per list")
    offset: int = Field(0, ge=0, le=100_000, description="items of each list to skip")


class Total(BaseModel):
    """A sum over a list's documents in one currency."""

    currency: str
    amount: Decimal
    overdue: Decimal | None = Field(None, description="invoices only: past their due date")


class Page(BaseModel, Generic[Item]):
    """One page of a list, its count and totals over every document read."""

    items: list[Item]
    count: int = Field(description="documents read (all of them when `complete`)")
    complete: bool = Field(description="false when more documents exist than were read")
    totals: list[Total]
    next_offset: int | None = Field(description="pass as `offset` for the next page")


class SalesOrderOut(BaseModel):
    """An open sales order in the ERP."""

    sales_order: str
    created_on: date | None
    customer_reference: str
    net_amount: Decimal
    currency: str
    overall_status: str = Field(description="SAP: A open, B in process")
    delivery_status: str
    credit_status: str = Field(description="A passed, B blocked, D released")
    requested_delivery_date: date | None


class InvoiceOut(BaseModel):
    """An invoice (billing document) with its payment status."""

    billing_document: str
    billing_date: date | None
    net_amount: Decimal
    gross_amount: Decimal
    currency: str
    status: Literal["open", "overdue", "paid"]
    due_on: date | None
    paid_on: date | None = Field(description="when it was cleared")


class BlockOut(BaseModel):
    """One block the ERP holds on the customer (the ERP field and its value)."""

    erp_field: str
    value: str


class CreditOut(BaseModel):
    """Credit limit, exposure (open orders and receivables) and headroom, credit currency."""

    limit: Decimal | None
    exposure: Decimal | None
    headroom: Decimal | None
    currency: str | None


class ErpOut(BaseModel):
    """The ERP's part: who, blocks, credit, open orders, open invoices, latest payments."""

    customer: str
    business_partner: str
    name: str
    blocked: bool
    blocks: list[BlockOut]
    credit: CreditOut | None
    sales_orders: Page[SalesOrderOut]
    open_invoices: Page[InvoiceOut]
    payments: Page[InvoiceOut] = Field(description="the latest paid invoices, latest first")


class CrmOrderOut(BaseModel):
    """An order in the CRM the ERP has not finished."""

    order_id: str
    order_number: str
    status: str
    effective_date: date | None
    total_amount: Decimal | None
    currency: str | None
    erp_sales_order: str | None
    erp_status: str | None


class CrmOut(BaseModel):
    """The CRM's part: the account and its unfinished orders."""

    account_id: str
    name: str
    erp_customer: str | None
    credit_blocked: bool
    open_orders: Page[CrmOrderOut]


class GoldenOut(BaseModel):
    """What Causeway believes of the customer, and where each field came from."""

    data: dict[str, Any]
    sources: dict[str, list[str]] = Field(description="field -> [system, modified at]")
    version: int
    state: str = Field(description="active, deleted or merged")


class SourceOut(BaseModel):
    """Whether a system's part is in the answer: ok, unreachable, not-linked, not-found,
    not-configured; `reason` says why not (e.g. erp-timeout)."""

    system: Literal["erp", "crm"]
    status: Literal["ok", "unreachable", "not-linked", "not-found", "not-configured"]
    reason: str | None


class Account(BaseModel):
    """One customer across Causeway, the CRM and the ERP."""

    key: str
    key_type: Literal["salesforce", "erp", "causeway"]
    causeway_id: str | None
    ids: dict[str, str] = Field(description="the record id in each linked system")
    golden: GoldenOut | None
    erp: ErpOut | None
    crm: CrmOut | None
    sources: list[SourceOut]
    partial: bool = Field(description="true when a linked system could not be read")
    as_of: datetime

    @classmethod
    def of(cls, view: AccountView, query: AccountQuery) -> Account:
        identity = view.identity
        ids = dict(identity.links) if identity is not None else {}
        golden = view.golden
        return cls(
            key=view.key,
            key_type=view.kind,
            causeway_id=identity.canonical_id if identity is not None else None,
            ids=ids,
            golden=None if golden is None else GoldenOut(
                data=golden.data, sources=golden.sources, version=golden.version,
                state=golden.state,
            ),
            erp=None if view.erp is None else _erp(view.erp, query, view.today),
            crm=None if view.crm is None else _crm(view.crm, query),
            sources=[
                SourceOut.model_validate(
                    {"system": s.system, "status": s.status, "reason": s.reason}
                )
                for s in view.sources
            ],
            partial=view.partial,
            as_of=view.as_of,
        )


def _page(
    scan: Scan[T],
    query: AccountQuery,
    render: Callable[[T], Item],
    totals: Callable[[Sequence[T]], list[Total]],
) -> dict[str, Any]:
    """A `Page` as its fields, for the enclosing model to validate into the right `Page[...]`."""
    end = query.offset + query.limit
    chosen = scan.items[query.offset:end]
    return {
        "items": [render(item) for item in chosen],
        "count": len(scan.items),
        "complete": scan.complete,
        "totals": totals(scan.items),
        "next_offset": end if end < len(scan.items) else None,
    }


def _sum_by_currency(
    items: Sequence[T],
    currency: Callable[[T], str | None],
    amount: Callable[[T], Decimal | None],
    overdue: Callable[[T], bool] | None = None,
) -> list[Total]:
    sums: dict[str, list[Decimal]] = {}
    for item in items:
        value = amount(item)
        if value is None:
            continue
        slot = sums.setdefault(currency(item) or "", [Decimal(0), Decimal(0)])
        slot[0] += value
        if overdue is not None and overdue(item):
            slot[1] += value
    return [
        Total(currency=name, amount=total, overdue=late if overdue is not None else None)
        for name, (total, late) in sorted(sums.items())
    ]


def _blocks(customer: ErpCustomer) -> list[BlockOut]:
    found = [
        BlockOut(erp_field=name, value=value)
        for name, value in (
            ("BusinessPartnerIsBlocked", "true" if customer.centrally_blocked else ""),
            ("IsMarkedForArchiving", "true" if customer.archived else ""),
            ("DeletionIndicator", "true" if customer.deleted else ""),
            ("OrderIsBlockedForCustomer", customer.order_block),
            ("DeliveryIsBlocked", customer.delivery_block),
            ("BillingIsBlockedForCustomer", customer.billing_block),
            ("PostingIsBlocked", "true" if customer.posting_blocked else ""),
        )
        if value
    ]
    area = customer.first_sales_area
    if area is not None:
        found += [
            BlockOut(erp_field=f"A_CustomerSalesArea.{name}", value=value)
            for name, value in (
                ("OrderIsBlockedForCustomer", area.order_block),
                ("DeliveryIsBlockedForCustomer", area.delivery_block),
                ("BillingIsBlockedForCustomer", area.billing_block),
            )
            if value
        ]
    return found


def _invoice(invoice: InvoiceSummary, today: date) -> InvoiceOut:
    status: Literal["open", "overdue", "paid"] = "open"
    if invoice.cleared:
        status = "paid"
    elif invoice.due_on is not None and invoice.due_on < today:
        status = "overdue"
    return InvoiceOut(
        billing_document=invoice.billing_document, billing_date=invoice.billing_date,
        net_amount=invoice.net_amount, gross_amount=invoice.gross_amount,
        currency=invoice.currency, status=status, due_on=invoice.due_on,
        paid_on=invoice.cleared_on,
    )


def _order(order: SalesOrderSummary) -> SalesOrderOut:
    return SalesOrderOut(
        sales_order=order.sales_order, created_on=order.created_on,
        customer_reference=order.customer_reference, net_amount=order.net_amount,
        currency=order.currency, overall_status=order.overall_status,
        delivery_status=order.delivery_status, credit_status=order.credit_status,
        requested_delivery_date=order.requested_delivery_date,
    )


def _erp(part: ErpPart, query: AccountQuery, today: date) -> ErpOut:
    customer = part.customer
    area = customer.first_sales_area
    blocks = _blocks(customer)
    ordering = {"BusinessPartnerIsBlocked", "IsMarkedForArchiving", "DeletionIndicator",
                "OrderIsBlockedForCustomer", "A_CustomerSalesArea.OrderIsBlockedForCustomer"}

    def overdue(invoice: InvoiceSummary) -> bool:
        return invoice.due_on is not None and invoice.due_on < today

    return ErpOut.model_validate({
        "customer": customer.customer,
        "business_partner": customer.business_partner,
        "name": customer.name,
        "blocked": any(block.erp_field in ordering for block in blocks),
        "blocks": blocks,
        "credit": None if area is None else CreditOut(
            limit=area.credit_limit, exposure=area.credit_exposure,
            headroom=area.credit_headroom, currency=area.currency,
        ),
        "sales_orders": _page(
            part.sales_orders, query, _order,
            lambda items: _sum_by_currency(items, lambda o: o.currency, lambda o: o.net_amount),
        ),
        "open_invoices": _page(
            part.open_invoices, query, lambda invoice: _invoice(invoice, today),
            lambda items: _sum_by_currency(
                items, lambda i: i.currency, lambda i: i.gross_amount, overdue
            ),
        ),
        "payments": _page(
            part.payments, query, lambda invoice: _invoice(invoice, today),
            lambda items: _sum_by_currency(items, lambda i: i.currency, lambda i: i.gross_amount),
        ),
    })


def _crm(part: CrmPart, query: AccountQuery) -> CrmOut:
    account = part.account

    def render(order: CrmOrder) -> CrmOrderOut:
        return CrmOrderOut(
            order_id=order.order_id, order_number=order.order_number, status=order.status,
            effective_date=order.effective_date, total_amount=order.total_amount,
            currency=order.currency, erp_sales_order=order.erp_sales_order,
            erp_status=order.erp_status,
        )

    return CrmOut.model_validate({
        "account_id": account.account_id,
        "name": account.name,
        "erp_customer": account.erp_customer,
        "credit_blocked": account.credit_blocked,
        "open_orders": _page(
            part.orders, query, render,
            lambda items: _sum_by_currency(
                items, lambda o: o.currency, lambda o: o.total_amount
            ),
        ),
    })
