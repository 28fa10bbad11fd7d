"""Request and answer bodies of `POST /v1/quotes/validate`.

The customer is named by exactly one key (Salesforce account id, ERP customer number or
canonical id). Prices and quantities are decimals and travel as JSON strings, as in price
and availability; findings name the request's own fields (`lines.2.unit_price`, `customer`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from causeway.api.quote_verdict import (
    CustomerRef,
    LineToCheck,
    Validation,
    ValidationSettings,
)
from causeway.api.routes.quotes_models import MAX_LINES, Currency, Customer, Material, Quantity

SalesforceId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$",
          description="a Salesforce Account id (15 or 18 characters)"),
]
CanonicalId = Annotated[
    str,
    Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
          description="Causeway's canonical customer id (a UUID)"),
]
UnitPrice = Annotated[
    Decimal,
    Field(ge=0, max_digits=19, decimal_places=6, description="the quoted net price per unit"),
]
CheckState = Literal["passed", "failed", "skipped"]


class CustomerKey(BaseModel):
    """Exactly one way to name the customer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    salesforce_id: SalesforceId | None = None
    erp_customer: Customer | None = None
    causeway_id: CanonicalId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CustomerKey:
        given = [v for v in (self.salesforce_id, self.erp_customer, self.causeway_id) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of salesforce_id, erp_customer, causeway_id")
        return self

    def ref(self) -> CustomerRef:
        return CustomerRef(self.salesforce_id, self.erp_customer, self.causeway_id)


class ValidationLine(BaseModel):
    """A quote line: material, quantity, quoted unit price and (optionally) its currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: Material
    quantity: Quantity
    unit_price: UnitPrice
    currency: Currency | None = Field(None, description="the quote's currency when left out")


class QuoteValidationRequest(BaseModel):
    """The quote to validate: its customer, currency and 1 to 200 lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer: CustomerKey
    currency: Currency = "EUR"
    lines: list[ValidationLine] = Field(min_length=1, max_length=MAX_LINES)

    def lines_to_check(self) -> list[LineToCheck]:
        return [
            LineToCheck(line.material, line.quantity, line.unit_price,
                        line.currency or self.currency)
            for line in self.lines
        ]


class FindingOut(BaseModel):
    """Why the quote cannot (error) or may not cleanly (warning) become an order."""

    field: str = Field(description="the request field concerned, e.g. lines.2.unit_price")
    code: str = Field(description="customer-unknown, customer-not-synced, customer-blocked, "
                      "credit-limit-exceeded, price-mismatch, material-unknown, ...")
    severity: Literal["error", "warning"]
    message: str
    erp_value: str | None = Field(None, description="the ERP's figure (price, headroom, ...)")
    quoted_value: str | None = None
    details: dict[str, str | None] | None = None


class ResolvedCustomerOut(BaseModel):
    """The customer on each side and how Causeway knows they are one."""

    erp_customer: str | None
    business_partner: str | None
    salesforce_id: str | None
    causeway_id: str | None
    name: str | None
    linked_by: Literal["xref", "reference", "erp"] | None = Field(
        description="xref: a cross-reference; reference: the reference Causeway stamps on the "
        "ERP partner; erp: named by its ERP number"
    )


class CreditOut(BaseModel):
    """The ERP's credit check of the order and the figures behind it (credit currency)."""

    status: str = Field(description="A passed, B blocked, empty when not checked")
    limit: Decimal | None
    exposure: Decimal | None
    headroom: Decimal | None
    currency: str | None


class ChecksOut(BaseModel):
    """Which checks ran and how they ended; a skipped check could not run."""

    customer: CheckState
    prices: CheckState
    credit: CheckState


class ToleranceOut(BaseModel):
    """The price tolerance applied: `percent` of the ERP's price, at least `amount`."""

    percent: Decimal
    amount: Decimal


class QuoteValidation(BaseModel):
    """Whether the quote can become an order, and every finding that says why not."""

    valid: bool
    customer: ResolvedCustomerOut
    currency: str
    net_amount: Decimal | None = Field(description="the order's net value as the ERP prices it")
    credit: CreditOut | None
    checks: ChecksOut
    findings: list[FindingOut]
    tolerance: ToleranceOut
    as_of: datetime

    @classmethod
    def of(cls, result: Validation, settings: ValidationSettings) -> QuoteValidation:
        who = result.customer
        credit = result.credit
        return cls(
            valid=result.valid,
            customer=ResolvedCustomerOut(
                erp_customer=who.erp_customer, business_partner=who.business_partner,
                salesforce_id=who.salesforce_id, causeway_id=who.causeway_id, name=who.name,
                linked_by=who.linked_by,
            ),
            currency=result.currency,
            net_amount=result.net_amount,
            credit=None if credit is None else CreditOut(
                status=credit.status, limit=credit.limit, exposure=credit.exposure,
                headroom=credit.headroom, currency=credit.currency,
            ),
            checks=ChecksOut(**result.checks),
            findings=[
                FindingOut(
                    field=f.field, code=f.code, severity=f.severity, message=f.message,
                    erp_value=f.erp_value, quoted_value=f.quoted_value, details=f.details,
                )
                for f in result.findings
            ],
            tolerance=ToleranceOut(
                percent=settings.price_tolerance_percent, amount=settings.price_tolerance_amount
            ),
            as_of=result.as_of,
        )
