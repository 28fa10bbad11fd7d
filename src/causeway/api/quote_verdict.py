"""What a quote validation answers: findings naming fields, checks, credit figures, settings.

Kept apart from the validator so the route's models and the checks share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

Severity = Literal["error", "warning"]
CheckState = Literal["passed", "failed", "skipped"]
LinkedBy = Literal["xref", "reference", "erp"]


@dataclass(frozen=True)
class ValidationSettings:
    """How far a quoted unit price may stray from the ERP's: `percent` of it, at least `amount`."""

    price_tolerance_percent: Decimal = Decimal("0.5")
    price_tolerance_amount: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if not (0 <= self.price_tolerance_percent <= 100 and self.price_tolerance_amount >= 0):
            raise ValueError("tolerance: percent 0 to 100, amount not negative")

    def allowed(self, erp_price: Decimal) -> Decimal:
        """The largest difference accepted around `erp_price`."""
        return max(abs(erp_price) * self.price_tolerance_percent / 100,
                   self.price_tolerance_amount)


@dataclass(frozen=True)
class CustomerRef:
    """Exactly one of a Salesforce account id, an ERP customer number, a canonical id."""

    salesforce_id: str | None = None
    erp_customer: str | None = None
    causeway_id: str | None = None


@dataclass(frozen=True)
class LineToCheck:
    """A quote line: material, quantity, the unit price quoted and its currency."""

    material: str
    quantity: Decimal
    unit_price: Decimal
    currency: str


@dataclass(frozen=True)
class Finding:
    """One reason the quote cannot (error) or may not cleanly (warning) become an order."""

    field: str
    code: str
    severity: Severity
    message: str
    erp_value: str | None = None
    quoted_value: str | None = None
    details: dict[str, str | None] | None = None


@dataclass(frozen=True)
class ResolvedCustomer:
    """Who the customer is on each side and how Causeway knows they are the same."""

    erp_customer: str | None = None
    business_partner: str | None = None
    salesforce_id: str | None = None
    causeway_id: str | None = None
    name: str | None = None
    linked_by: LinkedBy | None = None


@dataclass(frozen=True)
class Credit:
    """The ERP's credit check of the simulated order and the figures behind it."""

    status: str
    """SAP's TotalCreditCheckStatus: A passed, B blocked, empty when not checked."""
    limit: Decimal | None
    exposure: Decimal | None
    headroom: Decimal | None
    currency: str | None


@dataclass
class Validation:
    """The verdict: valid when no finding is an error."""

    customer: ResolvedCustomer
    currency: str
    findings: list[Finding] = field(default_factory=list)
    checks: dict[str, CheckState] = field(
        default_factory=lambda: {"customer": "skipped", "prices": "skipped", "credit": "skipped"}
    )
    net_amount: Decimal | None = None
    credit: Credit | None = None
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def valid(self) -> bool:
        """No error among the findings, and every check ran."""
        return not any(f.severity == "error" for f in self.findings) and all(
            state == "passed" for state in self.checks.values()
        )
