"""Sales pricing: list price, customer discount and currency conversion, computed server-side.

As in SAP pricing, the client never sets NetAmount: the item value is list price x quantity,
less the customer's discount, converted into the document currency at fixed sandbox rates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Units of EUR per unit of currency; fixed so that prices are reproducible.
EUR_RATES: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CHF": Decimal("1.04"),
    "JPY": Decimal("0.0062"),
    "CAD": Decimal("0.68"),
    "AUD": Decimal("0.61"),
    "SEK": Decimal("0.088"),
    "DKK": Decimal("0.134"),
    "NOK": Decimal("0.087"),
    "PLN": Decimal("0.23"),
    "CNY": Decimal("0.13"),
    "INR": Decimal("0.011"),
}
CENT = Decimal("0.01")


class PricingError(ValueError):
    """A price that cannot be determined, naming the material and currency concerned."""

    def __init__(self, message: str, *, material: str = "", currency: str = "") -> None:
        super().__init__(message)
        self.material = material
        self.currency = currency


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    """Convert `amount` from currency `source` to `target` at the sandbox rates."""
    if source == target:
        return amount
    for currency in (source, target):
        if currency not in EUR_RATES:
            raise PricingError(f"No exchange rate for currency {currency}", currency=currency)
    return amount * EUR_RATES[source] / EUR_RATES[target]


def net_amount(
    *,
    material: str,
    list_price: Decimal | None,
    price_currency: str | None,
    quantity: Decimal,
    discount_percent: Decimal | None,
    document_currency: str,
) -> Decimal:
    """The item's net value in the document currency, rounded to cents."""
    if list_price is None or not price_currency:
        raise PricingError(f"Material {material} has no list price", material=material)
    gross = list_price * quantity
    discount = (discount_percent or Decimal(0)) / Decimal(100)
    net = convert(gross * (Decimal(1) - discount), price_currency, document_currency)
    return net.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_for_revenue(annual_revenue: Decimal) -> Decimal:
    """The seeded customer discount: larger accounts negotiate more (0, 2, 5 or 8 percent)."""
    if annual_revenue >= Decimal(250_000_000):
        return Decimal("8.00")
    if annual_revenue >= Decimal(100_000_000):
        return Decimal("5.00")
    if annual_revenue >= Decimal(10_000_000):
        return Decimal("2.00")
    return Decimal("0.00")
