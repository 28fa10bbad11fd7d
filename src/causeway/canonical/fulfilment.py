"""After the order: deliveries, invoices and the payments that settle them."""

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
    Instant,
    Money,
    Quantity,
    SchemaRef,
    ensure_transition,
)
from causeway.canonical.party import Address


class DeliveryStatus(StrEnum):
    """Progress of goods leaving the warehouse."""

    PLANNED = "planned"
    PICKED = "picked"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class DeliveryLine(CanonicalModel):
    """A quantity of one product in a delivery, traced to its order line."""

    line_number: int = Field(ge=1)
    order_line_number: int | None = Field(default=None, ge=1)
    sku: str = Field(min_length=1)
    quantity: Quantity
    uom: str = Field(default="EA", min_length=1, max_length=3)


class Delivery(CanonicalObject):
    """An outbound delivery for (part of) a sales order."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="delivery", version=1)

    number: str | None = None
    sales_order_id: str | None = Field(default=None, description="Causeway id of the order.")
    customer_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.PLANNED
    planned_date: date | None = None
    shipped_at: Instant | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    shipping_address: Address | None = None
    lines: list[DeliveryLine] = Field(default_factory=list)


class InvoiceStatus(StrEnum):
    """Where an invoice stands; overdue is derived from the due date, not stored."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


_I = InvoiceStatus
INVOICE_TRANSITIONS: Final = MappingProxyType(
    {
        _I.DRAFT: frozenset({_I.OPEN, _I.CANCELLED}),
        _I.OPEN: frozenset({_I.PARTIALLY_PAID, _I.PAID, _I.CANCELLED}),
        _I.PARTIALLY_PAID: frozenset({_I.PAID}),
        _I.PAID: frozenset(),
        _I.CANCELLED: frozenset(),
    }
)
"""Which invoice status may follow which: a paid or cancelled invoice is final."""


class InvoiceLine(CanonicalModel):
    """One billed item."""

    line_number: int = Field(ge=1)
    sku: str | None = None
    description: str | None = None
    quantity: Quantity
    uom: str = Field(default="EA", min_length=1, max_length=3)
    unit_price: Money | None = None
    net_amount: Money
    tax_rate: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None


class Invoice(CanonicalObject):
    """A billing document the customer owes money on."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="invoice", version=1)

    number: str | None = None
    customer_id: str = Field(min_length=1)
    sales_order_id: str | None = None
    status: InvoiceStatus = InvoiceStatus.OPEN
    currency: CurrencyCode
    issue_date: date
    due_date: date
    net_amount: Money
    tax_amount: Money | None = None
    gross_amount: Money | None = None
    lines: list[InvoiceLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Invoice:
        if self.due_date < self.issue_date:
            raise ValueError("due_date is before issue_date")
        amounts = [self.net_amount, self.tax_amount, self.gross_amount]
        for line in self.lines:
            amounts += [line.unit_price, line.net_amount]
        wrong = {m.currency for m in amounts if m is not None} - {self.currency}
        if wrong:
            raise ValueError(f"amounts in {', '.join(sorted(wrong))} on a {self.currency} invoice")
        return self

    def with_status(self, status: InvoiceStatus) -> Invoice:
        """A copy in the new status, or StatusTransitionError if the lifecycle forbids it."""
        ensure_transition(self, INVOICE_TRANSITIONS, self.status, status)
        return self.model_copy(update={"status": status})


class PaymentMethod(StrEnum):
    """How the money came in."""

    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    CARD = "card"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"


class Payment(CanonicalObject):
    """Money received from a customer, applied to one or more invoices."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="payment", version=1)

    number: str | None = None
    customer_id: str = Field(min_length=1)
    invoice_ids: list[str] = Field(default_factory=list, description="Causeway invoice ids.")
    amount: Money
    received_at: Instant
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = Field(default=None, description="Bank or card reference.")

    @model_validator(mode="after")
    def _positive(self) -> Payment:
        if self.amount.amount <= 0:
            raise ValueError("a payment amount must be positive")
        return self
