"""Values the org computes itself: names, closed flags, country codes, prices and totals.

Salesforce fills these on save; integrations read them back (and are surprised when a
sandbox does not), so they are maintained on every write here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from causeway.sandbox.crm.catalog import CLOSED_STAGES
from causeway.sandbox.crm.countries import COUNTRY_NAMES, code_for
from causeway.sandbox.crm.errors import SalesforceError

LINE_ITEMS = {
    "OpportunityLineItem": ("OpportunityId", "Opportunity"),
    "QuoteLineItem": ("QuoteId", "Quote"),
    "OrderItem": ("OrderId", "Order"),
}
_ADDRESSES = ("Billing", "Shipping", "Mailing")


class Records(Protocol):
    """Read access to the org's records while a write is computed."""

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The record with this id, deleted or not."""

    def children(self, sobject: str, field: str, parent_id: str) -> Iterable[dict[str, Any]]:
        """Live `sobject` records whose `field` points at `parent_id`."""

    def standard_pricebook_id(self) -> str | None:
        """The id of the standard price book."""


def _integrity(message: str, field: str) -> SalesforceError:
    return SalesforceError.of(400, "FIELD_INTEGRITY_EXCEPTION", message, (field,))


def derive(sobject: str, record: dict[str, Any], changed: set[str], creating: bool,
           now: str, records: Records) -> None:
    """Fill the computed fields of `record` after `changed` fields were written."""
    if sobject in ("Contact", "User"):
        parts = (record.get("FirstName"), record.get("LastName"))
        record["Name"] = " ".join(part for part in parts if part) or None
    for prefix in _ADDRESSES:
        _country(record, prefix, changed)
    if sobject == "Opportunity":
        stage = record.get("StageName")
        record["IsClosed"] = stage in CLOSED_STAGES
        record["IsWon"] = CLOSED_STAGES.get(stage or "", False)
    elif sobject == "Case":
        closed = record.get("Status") == "Closed"
        if closed and not record.get("IsClosed"):
            record["ClosedDate"] = now
        elif not closed:
            record["ClosedDate"] = None
        record["IsClosed"] = closed
    elif sobject == "Quote" and creating:
        opportunity = records.get(record["OpportunityId"]) or {}
        record["AccountId"] = opportunity.get("AccountId")
        if record.get("Pricebook2Id") is None:
            record["Pricebook2Id"] = opportunity.get("Pricebook2Id")
    elif sobject == "Pricebook2" and creating:
        # Only the org's own standard price book is standard; every book a client creates
        # is a custom one (IsStandard is false, never null).
        record["IsStandard"] = bool(record.get("IsStandard"))
    elif sobject == "PricebookEntry" and creating:
        _pricebook_entry(record, records)
    elif sobject in LINE_ITEMS:
        _line_item(sobject, record, creating, records)


def _country(record: dict[str, Any], prefix: str, changed: set[str]) -> None:
    code_field, name_field = f"{prefix}CountryCode", f"{prefix}Country"
    if code_field in changed and name_field not in changed:
        code = record.get(code_field)
        record[name_field] = COUNTRY_NAMES.get(code) if code else None
    elif name_field in changed and code_field not in changed:
        name = record.get(name_field)
        record[code_field] = code_for(name) if name else None


def _pricebook_entry(record: dict[str, Any], records: Records) -> None:
    product = records.get(record["Product2Id"]) or {}
    record["Name"] = product.get("Name")
    record["ProductCode"] = product.get("ProductCode")
    pricebook_id = record["Pricebook2Id"]
    currency = record.get("CurrencyIsoCode")
    siblings = [
        entry for entry in records.children("PricebookEntry", "Product2Id", record["Product2Id"])
        if entry.get("CurrencyIsoCode") == currency
    ]
    if any(entry["Pricebook2Id"] == pricebook_id for entry in siblings):
        raise SalesforceError.of(400, "DUPLICATE_VALUE",
                                 "This price definition already exists in this price book")
    standard = records.standard_pricebook_id()
    if pricebook_id != standard and not any(e["Pricebook2Id"] == standard for e in siblings):
        raise SalesforceError.of(400, "STANDARD_PRICE_NOT_DEFINED",
                                 "Before creating a custom price, create a standard price.")


def _line_item(sobject: str, record: dict[str, Any], creating: bool, records: Records) -> None:
    parent_field, parent_name = LINE_ITEMS[sobject]
    if creating:
        entry = records.get(record["PricebookEntryId"]) or {}
        parent = records.get(record[parent_field]) or {}
        if parent.get("Pricebook2Id") and parent["Pricebook2Id"] != entry.get("Pricebook2Id"):
            raise _integrity(
                f"field integrity exception: PricebookEntryId (pricebook entry is in a "
                f"different pricebook than the one assigned to the {parent_name})",
                "PricebookEntryId")
        if sobject == "OrderItem" and not parent.get("Pricebook2Id"):
            raise _integrity("Price Book Entry ID: pricebook entry is in a different pricebook "
                             "than the one assigned to the Order, or Order has no pricebook "
                             "assigned.", "PricebookEntryId")
        record["Product2Id"] = entry.get("Product2Id")
        record["ListPrice"] = entry.get("UnitPrice")
        if record.get("UnitPrice") is None:
            record["UnitPrice"] = entry.get("UnitPrice")
        if sobject == "OpportunityLineItem":
            record["Name"] = f"{parent.get('Name', '')} {entry.get('Name', '')}".strip()
            record["ProductCode"] = entry.get("ProductCode")
    quantity = float(record.get("Quantity") or 0)
    subtotal = quantity * float(record.get("UnitPrice") or 0)
    discount = float(record.get("Discount") or 0)
    record["TotalPrice"] = round(subtotal * (1 - discount / 100), 2)
    if sobject == "QuoteLineItem":
        record["Subtotal"] = round(subtotal, 2)


def parent_of(sobject: str, record: dict[str, Any]) -> str | None:
    """The header record whose totals depend on this line item, if any."""
    link = LINE_ITEMS.get(sobject)
    return record.get(link[0]) if link else None


def totals(parent_sobject: str, parent_id: str, records: Records) -> dict[str, Any]:
    """The header's roll-up fields recomputed from its live line items."""
    child = next(name for name, (_, parent) in LINE_ITEMS.items() if parent == parent_sobject)
    field = LINE_ITEMS[child][0]
    items = list(records.children(child, field, parent_id))
    total = round(sum(float(item.get("TotalPrice") or 0) for item in items), 2)
    values: dict[str, Any] = {}
    if parent_sobject == "Opportunity":
        values["Amount"] = total
    elif parent_sobject == "Order":
        values["TotalAmount"] = total
    else:
        values["Subtotal"] = round(sum(float(i.get("Subtotal") or 0) for i in items), 2)
        values["TotalPrice"] = total
        values["GrandTotal"] = total
    if items and parent_sobject in ("Opportunity", "Quote"):
        parent = records.get(parent_id) or {}
        if not parent.get("Pricebook2Id"):
            entry = records.get(items[0]["PricebookEntryId"]) or {}
            values["Pricebook2Id"] = entry.get("Pricebook2Id")
    return values
