"""Hypothesis strategies for canonical customers and sales orders.

Values stay inside what the systems can hold (upper-case search terms for S/4HANA, street
names without a trailing number so the house number can be split off again, statuses the
target system can express); the round-trip tests say which field each limit protects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from causeway.canonical.party import Customer, CustomerStatus
from causeway.canonical.sales import SalesOrder, SalesOrderStatus

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")
COUNTRIES = ("DE", "US", "FR", "NO", "GB", "CH", "JP")


def words(max_size: int = 30) -> st.SearchStrategy[str]:
    """Text of letters and inner spaces, no leading or trailing whitespace."""
    return st.from_regex(rf"[A-Za-z][A-Za-z .'-]{{0,{max_size - 2}}}[A-Za-z]", fullmatch=True)


def codes(max_size: int = 10) -> st.SearchStrategy[str]:
    """Upper-case identifiers such as SKUs and ERP numbers."""
    return st.from_regex(rf"[A-Z0-9][A-Z0-9-]{{0,{max_size - 1}}}", fullmatch=True)


def money_amounts() -> st.SearchStrategy[Decimal]:
    """Two-decimal amounts a JSON number carries without loss."""
    return st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                       allow_infinity=False)


@st.composite
def addresses(draw: st.DrawFn, role: str) -> dict[str, Any]:
    """A postal address; a house number only comes with a street."""
    street = draw(st.none() | words())
    return {
        "role": role,
        "street": street,
        "house_number": draw(st.from_regex(r"[1-9][0-9]{0,3}[a-z]?", fullmatch=True))
        if street and draw(st.booleans()) else None,
        "postal_code": draw(st.none() | st.from_regex(r"[0-9]{4,5}", fullmatch=True)),
        "city": draw(st.none() | words()),
        "region": draw(st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        "country": draw(st.none() | st.sampled_from(COUNTRIES)),
    }


@st.composite
def customers(
    draw: st.DrawFn, statuses: tuple[CustomerStatus, ...] = tuple(CustomerStatus)
) -> Customer:
    """A customer with billing and maybe shipping address, always known to the ERP."""
    roles = ["billing"] + (["shipping"] if draw(st.booleans()) else [])
    currency = draw(st.sampled_from(CURRENCIES))
    data: dict[str, Any] = {
        "id": draw(st.none() | st.uuids().map(str)),
        "external_ids": {"s4hana": draw(st.from_regex(r"[1-9][0-9]{6}", fullmatch=True))},
        "party": {
            "name": draw(words(40)),
            "name2": draw(st.none() | words()),
            "legal_form": draw(st.none() | st.sampled_from(["GmbH", "AG", "SA", "Inc"])),
            "search_term": draw(st.none() | codes(20)),
        },
        "addresses": [draw(addresses(role)) for role in roles],
        "tax_ids": [{"scheme": "VAT", "value": draw(codes(14))}] if draw(st.booleans()) else [],
        "phone": draw(st.none() | st.from_regex(r"\+[1-9][0-9]{6,12}", fullmatch=True)),
        "website": draw(st.none() | st.from_regex(r"https://[a-z]{3,10}\.example", fullmatch=True)),
        "industry": draw(st.none() | st.sampled_from(["Machinery", "Energy", "Retail"])),
        "currency": currency,
        "credit_limit": draw(st.none() | money_amounts()),
        "payment_terms": draw(st.none() | st.sampled_from(["NT14", "NT30", "NT60", "PREP"])),
        "status": draw(st.sampled_from(statuses)),
    }
    return Customer.parse(data)


@st.composite
def sales_orders(
    draw: st.DrawFn,
    statuses: tuple[SalesOrderStatus, ...] = tuple(SalesOrderStatus),
    with_prices: bool = False,
) -> SalesOrder:
    """An order for customer 'c-1' with up to four lines numbered 10, 20, ..."""
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(min_value=0, max_value=4))
    lines = []
    for index in range(count):
        price = draw(st.none() | money_amounts()) if with_prices else None
        lines.append({
            "line_number": (index + 1) * 10,
            "sku": f"SKU-{index}",
            "product_id": f"p-{index}",
            "description": draw(st.none() | words(40)),
            "quantity": draw(st.decimals(min_value=Decimal("0.001"), max_value=10**6,
                                         places=3)),
            "uom": draw(st.sampled_from(["EA", "PC", "KG"])),
            "unit_price": None if price is None else {"amount": price, "currency": currency},
            "requested_delivery_date": draw(st.none() | st.dates(date(2000, 1, 1),
                                                                 date(2099, 12, 31))),
        })
    return SalesOrder.parse({
        "id": draw(st.none() | st.uuids().map(str)),
        "external_ids": {"s4hana": draw(st.from_regex(r"[1-9][0-9]{7}", fullmatch=True))},
        "customer_id": "c-1",
        "customer_reference": draw(st.none() | codes(20)),
        "currency": currency,
        "order_date": draw(st.dates(date(1971, 1, 1), date(2099, 12, 31))),
        "requested_delivery_date": draw(st.none() | st.dates(date(1971, 1, 1),
                                                             date(2099, 12, 31))),
        "status": draw(st.sampled_from(statuses)),
        "lines": lines,
    })
