"""Condition determination: which PPR0 price and K007 discount an order item gets.

The access sequence is SAP's usual one: a customer-specific price (condition table 305:
sales organization, distribution channel, customer, material) before the list price (table
304: sales organization, distribution channel, material); records marked for deletion or not
valid on the pricing date do not count. A material without any PPR0 record falls back to its
`YY1_ListPrice` (the sandbox's shorthand for products created without conditions), and a
customer without a K007 record to its sales area's `YY1_CustomerDiscountPercent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from causeway.sandbox.erp.services.pricing_condition import CONDITION_RECORD, CONDITION_VALIDITY
from causeway.sandbox.erp.store import Record, Store

PRICE = "PPR0"
"""S/4HANA's price condition type (PR00 in ECC)."""
DISCOUNT = "K007"
"""Customer discount, a percentage."""
LIST_PRICE_TABLE = "304"
CUSTOMER_PRICE_TABLE = "305"
CUSTOMER_DISCOUNT_TABLE = "007"


@dataclass(frozen=True)
class Price:
    """A price per base unit, and the condition record it came from ('' for YY1_ListPrice)."""

    amount: Decimal
    currency: str
    record: str = ""


def in_force(validity: Record, day: datetime) -> bool:
    """True when the validity period covers `day` (dates compared, times ignored)."""
    start = validity.get("ConditionValidityStartDate")
    end = validity.get("ConditionValidityEndDate")
    after_start = start is None or start.date() <= day.date()
    return after_start and (end is None or end.date() >= day.date())


def _live(store: Store, validity: Record, condition_type: str, day: datetime) -> Record | None:
    if validity.get("ConditionType") != condition_type or not in_force(validity, day):
        return None
    record = store.get(CONDITION_RECORD, (str(validity["ConditionRecord"]),))
    if record is None or record.get("ConditionIsDeleted"):
        return None
    return record


def list_price(
    store: Store,
    goods: Record,
    sales_organization: str,
    channel: str,
    customer: str | None,
    day: datetime,
) -> Price | None:
    """The item price per base unit on `day`, or None when the material has no price at all."""
    material = str(goods["Product"])
    validities = store.find(CONDITION_VALIDITY, equal={"Material": material})
    found: dict[str, Record] = {}
    any_price = False
    for validity in validities:
        if validity.get("ConditionType") != PRICE:
            continue
        any_price = True
        area = (validity.get("SalesOrganization"), validity.get("DistributionChannel"))
        if area != (sales_organization, channel):
            continue
        holder = validity.get("Customer") or ""
        if holder and holder != customer:
            continue
        record = _live(store, validity, PRICE, day)
        if record is not None:
            found.setdefault("customer" if holder else "list", record)
    record = found.get("customer") or found.get("list")
    if record is not None:
        per = record.get("ConditionQuantity") or Decimal(1)
        return Price(
            record["ConditionRateValue"] / per,
            str(record["ConditionRateValueUnit"]),
            str(record["ConditionRecord"]),
        )
    if any_price:
        return None  # priced by conditions, but not in this area or on this date
    shorthand, currency = goods.get("YY1_ListPrice"), goods.get("YY1_ListPriceCurrency")
    if shorthand is None or not currency:
        return None
    return Price(shorthand, str(currency))


def discount_percent(
    store: Store, area: Record | None, customer: str, sales_organization: str, channel: str,
    day: datetime,
) -> Decimal:
    """The customer's discount in percent (positive) on `day`."""
    for validity in store.find(CONDITION_VALIDITY, equal={"Customer": customer}):
        if (validity.get("SalesOrganization"), validity.get("DistributionChannel")) != (
            sales_organization,
            channel,
        ):
            continue
        record = _live(store, validity, DISCOUNT, day)
        if record is not None:
            return abs(Decimal(record["ConditionRateValue"]))
    value = (area or {}).get("YY1_CustomerDiscountPercent")
    return Decimal(value) if value is not None else Decimal(0)
