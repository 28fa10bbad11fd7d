"""Quotes and sales orders, with the order's status lifecycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, ClassVar, Final

from pydantic import Field, model_validator

from causeway.canonical.base import (
    CanonicalModel,
    CanonicalObject,
    CurrencyCode,
    Money,
    Quantity,
    SchemaRef,
    ensure_transition,
)
from causeway.canonical.party import Address


class _SalesLine(CanonicalModel):
    """Fields quote and order lines share."""

    line_number: int = Field(ge=1)
    external_ids: dict[str, str] = Field(
        default_factory=dict, description="Id of the line in each system, by system name."
    )
    sku: str = Field(min_length=1)
    product_id: str | None = Field(default=None, description="Causeway id of the product.")
    description: str | None = None
    quantity: Quantity
    uom: str = Field(default="EA", min_length=1, max_length=3)
    unit_price: Money | None = None
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    net_amount: Money | None = None


def _check_line_currencies(
    currency: str, lines: list[QuoteLine] | list[SalesOrderLine], total: Money | None
) -> None:
    amounts = [total] if total else []
    for line in lines:
        amounts += [m for m in (line.unit_price, line.net_amount) if m is not None]
    wrong = {m.currency for m in amounts} - {currency}
    if wrong:
        raise ValueError(f"amounts in {', '.join(sorted(wrong))} on a {currency} document")


def _check_unique_lines(lines: list[QuoteLine] | list[SalesOrderLine]) -> None:
    numbers = [line.line_number for line in lines]
    if len(numbers) != len(set(numbers)):
        raise ValueError("line numbers must be unique")


class QuoteStatus(StrEnum):
    """Where a quote stands with the customer."""

    DRAFT = "draft"
    PRESENTED = "presented"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class QuoteLine(_SalesLine):
    """One product on a quote."""


class Quote(CanonicalObject):
    """An offer to a customer that may become a sales order."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="quote", version=1)

    number: str | None = None
    customer_id: str = Field(min_length=1, description="Causeway id of the customer.")
    currency: CurrencyCode
    status: QuoteStatus = QuoteStatus.DRAFT
    valid_until: date | None = None
    lines: list[QuoteLine] = Field(default_factory=list)
    net_amount: Money | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Quote:
        _check_unique_lines(self.lines)
        _check_line_currencies(self.currency, self.lines, self.net_amount)
        return self


class SalesOrderStatus(StrEnum):
    """The order's lifecycle from entry to completion; see SALES_ORDER_TRANSITIONS."""

    DRAFT = "draft"
    OPEN = "open"
    IN_PROCESS = "in_process"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


_S = SalesOrderStatus
SALES_ORDER_TRANSITIONS: Final = MappingProxyType(
    {
        _S.DRAFT: frozenset({_S.OPEN, _S.CANCELLED}),
        _S.OPEN: frozenset({_S.IN_PROCESS, _S.PARTIALLY_DELIVERED, _S.DELIVERED, _S.CANCELLED}),
        _S.IN_PROCESS: frozenset(
            {_S.PARTIALLY_DELIVERED, _S.DELIVERED, _S.COMPLETED, _S.CANCELLED}
        ),
        _S.PARTIALLY_DELIVERED: frozenset({_S.DELIVERED, _S.INVOICED}),
        _S.DELIVERED: frozenset({_S.INVOICED, _S.COMPLETED}),
        _S.INVOICED: frozenset({_S.COMPLETED}),
        _S.COMPLETED: frozenset(),
        _S.CANCELLED: frozenset(),
    }
)
"""Which status may follow which: an order never comes back from cancelled or completed."""


class SalesOrderLine(_SalesLine):
    """One product on a sales order."""

    requested_delivery_date: date | None = None


class SalesOrder(CanonicalObject):
    """A customer's binding order."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="sales_order", version=1)

    number: str | None = None
    customer_id: str = Field(min_length=1, description="Causeway id of the sold-to customer.")
    quote_id: str | None = None
    customer_reference: str | None = Field(default=None, description="Customer's PO number.")
    currency: CurrencyCode
    order_date: date
    requested_delivery_date: date | None = None
    status: SalesOrderStatus = SalesOrderStatus.OPEN
    shipping_address: Address | None = None
    lines: list[SalesOrderLine] = Field(default_factory=list)
    net_amount: Money | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SalesOrder:
        _check_unique_lines(self.lines)
        _check_line_currencies(self.currency, self.lines, self.net_amount)
        return self

    def with_status(self, status: SalesOrderStatus) -> SalesOrder:
        """A copy in the new status, or StatusTransitionError if the lifecycle forbids it."""
        ensure_transition(self, SALES_ORDER_TRANSITIONS, self.status, status)
        return self.model_copy(update={"status": status})
