"""Request and response bodies of `POST /v1/quotes/price-availability`.

Keys follow S/4HANA's formats (customer number, material number, ISO currency), so a malformed
value is refused here, naming its field, before anything reaches the ERP. Amounts and
quantities are decimals and travel as JSON strings ("12.50"): no float rounds a price.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from causeway.api.pricing import Quote
from causeway.connectors.s4hana.simulation import QuoteLine, SimulatedLine

MAX_LINES = 200
Customer = Annotated[
    str, Field(pattern=r"^[A-Z0-9]{1,10}$", description="the ERP customer number (sold-to)")
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3,5}$", description="ISO 4217 code")]
Material = Annotated[
    str, Field(pattern=r"^[A-Z0-9][A-Z0-9_\-./]{0,39}$", description="the ERP material number")
]
Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=16, decimal_places=3, description="in the material's base unit"),
]


class LineRequest(BaseModel):
    """One line to price: material and quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: Material
    quantity: Quantity

    def quote_line(self) -> QuoteLine:
        return QuoteLine(self.material, self.quantity)


class PriceAvailabilityRequest(BaseModel):
    """A quote to price and confirm: customer, currency and 1 to 200 lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer: Customer
    currency: Currency = "EUR"
    lines: list[LineRequest] = Field(min_length=1, max_length=MAX_LINES)


class PricedLine(BaseModel):
    """A line as the ERP would take it: what it confirms, when, and at what price."""

    material: str
    requested_quantity: Decimal
    confirmed_quantity: Decimal
    confirmed_date: date | None = Field(description="when the confirmed quantity is available")
    unit_net_price: Decimal | None
    net_amount: Decimal | None
    currency: str
    unit: str | None = None
    plant: str | None = None

    @classmethod
    def of(cls, line: SimulatedLine) -> PricedLine:
        return cls(
            material=line.material,
            requested_quantity=line.requested_quantity,
            confirmed_quantity=line.confirmed_quantity,
            confirmed_date=line.confirmed_date,
            unit_net_price=line.unit_net_price,
            net_amount=line.net_amount,
            currency=line.currency,
            unit=line.unit,
            plant=line.plant,
        )


class PriceAvailability(BaseModel):
    """The priced quote, where it came from and how old it is."""

    customer: str
    currency: str
    lines: list[PricedLine]
    net_amount: Decimal = Field(description="the order's net value")
    credit_blocked: bool = Field(description="an order like this would be credit-blocked")
    source: Literal["erp", "cache"] = Field(description="priced now, or reused from the cache")
    as_of: datetime = Field(description="when the ERP priced it")
    degraded: bool = Field(description="true when served stale because the ERP failed")
    degraded_reason: (
        Literal["erp-timeout", "erp-unavailable", "erp-throttled", "circuit-open"] | None
    ) = None

    @classmethod
    def of(cls, quote: Quote) -> PriceAvailability:
        simulation = quote.simulation
        return cls(
            customer=simulation.sold_to,
            currency=simulation.currency,
            lines=[PricedLine.of(line) for line in simulation.lines],
            net_amount=simulation.net_amount,
            credit_blocked=simulation.credit_blocked,
            source=quote.source,
            as_of=quote.as_of,
            degraded=quote.degraded,
            degraded_reason=quote.degraded_reason,
        )
