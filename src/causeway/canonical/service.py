"""After-sales: service cases and return authorisations."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from causeway.canonical.base import (
    CanonicalModel,
    CanonicalObject,
    Instant,
    Quantity,
    SchemaRef,
)


class CaseStatus(StrEnum):
    """Where a service case stands."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CasePriority(StrEnum):
    """How urgent a service case is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class ServiceCase(CanonicalObject):
    """A customer's request for help, possibly about a product or an order."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="service_case", version=1)

    number: str | None = None
    customer_id: str | None = None
    contact_id: str | None = None
    subject: str = Field(min_length=1)
    description: str | None = None
    status: CaseStatus = CaseStatus.NEW
    priority: CasePriority = CasePriority.MEDIUM
    origin: str | None = Field(default=None, description="Channel: phone, email, web...")
    product_sku: str | None = None
    sales_order_id: str | None = None
    opened_at: Instant | None = None
    closed_at: Instant | None = None

    @model_validator(mode="after")
    def _closed_after_opened(self) -> ServiceCase:
        if self.opened_at and self.closed_at and self.closed_at < self.opened_at:
            raise ValueError("closed_at is before opened_at")
        return self


class ReturnStatus(StrEnum):
    """Progress of a return from request to refund."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"
    CLOSED = "closed"


class ReturnLine(CanonicalModel):
    """A quantity of one product coming back."""

    line_number: int = Field(ge=1)
    order_line_number: int | None = Field(default=None, ge=1)
    sku: str = Field(min_length=1)
    quantity: Quantity
    uom: str = Field(default="EA", min_length=1, max_length=3)
    reason: str | None = None


class ReturnAuthorization(CanonicalObject):
    """Permission for a customer to send goods back (an RMA)."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="return_authorization", version=1)

    number: str | None = None
    customer_id: str = Field(min_length=1)
    sales_order_id: str | None = None
    service_case_id: str | None = None
    status: ReturnStatus = ReturnStatus.REQUESTED
    reason: str | None = None
    requested_at: Instant | None = None
    lines: list[ReturnLine] = Field(default_factory=list)
