"""ListPrice: the PPR0 list price of a material in a sales area and currency.

S/4HANA keeps prices as condition records (API_SLSPRICINGCONDITIONRECORD_SRV), one per
validity period: next year's price is a second record beside this year's. A CRM keeps one
price per product, price book and currency. Causeway therefore reads a list price as one
record per sales organization, distribution channel, currency and material, id
`1010/10/USD/MAT-1`: the condition record in force on the ERP's business date (the latest
started, if several), or, when none is, the most recently changed one. Its fields are the
condition record's with `to_SlsPrcgCndnRecdValidity` expanded, plus `InForce`, Causeway's
own flag: not marked for deletion and valid today. A price that moves to another currency is
a new list price; the old one, no longer in force, turns inactive.

Change polling reads changed PPR0 records by `YY1_LastChangeDateTime` (the generic path of
the connector) and composes the list prices they belong to. Customer-specific prices (a
validity with a customer, condition table 305) and records without a material are not list
prices: they are skipped with a log line naming the record, and no price book shows them.
A validity boundary passing without any change (a price expiring overnight) shows at the
price's next change or read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import structlog

from causeway.connectors.contract import RawRecord
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.odata import Filter, compare, parse_datetime

log = structlog.get_logger("causeway.connectors.s4hana")

SERVICE = "API_SLSPRICINGCONDITIONRECORD_SRV"
VALIDITIES = "A_SlsPrcgCndnRecdValidity"
VALIDITY = "to_SlsPrcgCndnRecdValidity"
RECORD = "to_SlsPrcgConditionRecord"
PRICE = "PPR0"
IN_FORCE = "InForce"
_KEY_FIELDS = ("SalesOrganization", "DistributionChannel", "Material")
CURRENCY = "ConditionRateValueUnit"

Key = tuple[str, str, str, str]
"""(sales organization, distribution channel, currency, material)."""


def key_text(key: Key) -> str:
    """`1010/10/USD/MAT-1`: the record id of a list price."""
    return "/".join(key)


def parse_key(text: str) -> Key:
    """The (sales organization, distribution channel, currency, material) of a list price id."""
    parts = text.split("/", 3)
    if len(parts) != 4 or not all(parts):
        raise ValueError(
            f"not a list price id (organization/channel/currency/material): {text!r}"
        )
    return parts[0], parts[1], parts[2], parts[3]


def _validity(row: dict[str, Any]) -> dict[str, Any]:
    nested = row.get(VALIDITY)
    rows = nested.get("results", []) if isinstance(nested, dict) else (nested or [])
    return dict(rows[0]) if rows else {}


def skip_reason(row: dict[str, Any]) -> str | None:
    """Why a PPR0 condition record is not a list price, or None when it is one."""
    validity = _validity(row)
    if validity.get("Customer"):
        return f"customer-specific price for customer {validity['Customer']}, not a list price"
    if not all(validity.get(name) for name in _KEY_FIELDS):
        return "no sales organization, distribution channel and material"
    if not row.get(CURRENCY):
        return "no currency"
    return None


def list_price_key(row: dict[str, Any]) -> Key | None:
    """The list price a condition record belongs to, or None (logged) when it is not one."""
    reason = skip_reason(row)
    if reason is not None:
        record = str(row.get("ConditionRecord") or "")
        log.info("condition skipped", system=SYSTEM, record=record, reason=reason)
        return None
    validity = _validity(row)
    return (
        str(validity["SalesOrganization"]),
        str(validity["DistributionChannel"]),
        str(row[CURRENCY]),
        str(validity["Material"]),
    )


def _in_force(record: dict[str, Any], today: date) -> bool:
    if record.get("ConditionIsDeleted"):
        return False
    start = parse_datetime(record.get("ConditionValidityStartDate"))
    end = parse_datetime(record.get("ConditionValidityEndDate"))
    return (start is None or start.date() <= today) and (end is None or end.date() >= today)


def current(slices: Sequence[dict[str, Any]], today: date) -> dict[str, Any]:
    """The record in force today (latest started), else the most recently changed one."""

    def started(record: dict[str, Any]) -> float:
        start = parse_datetime(record.get("ConditionValidityStartDate"))
        return start.timestamp() if start else 0.0

    def changed(record: dict[str, Any]) -> float:
        stamp = parse_datetime(record.get("YY1_LastChangeDateTime"))
        return stamp.timestamp() if stamp else 0.0

    live = [record for record in slices if _in_force(record, today)]
    if live:
        return max(live, key=lambda record: (started(record), record["ConditionRecord"]))
    return max(slices, key=lambda record: (changed(record), record["ConditionRecord"]))


class ListPrices:
    """Composes ListPrice records from condition records, over the connector's client."""

    def __init__(self, client: S4Client, object_name: str) -> None:
        self.client = client
        self.object_name = object_name

    async def compose(self, changed: Sequence[RawRecord]) -> list[RawRecord]:
        """The list prices the changed condition records belong to, once each, in order."""
        keys: list[Key] = []
        for record in changed:
            key = list_price_key(record.fields)
            if key is not None and key not in keys:
                keys.append(key)
        return await self._read(keys)

    async def read(self, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of list prices by id; ids without any PPR0 record are left out."""
        return await self._read([parse_key(text) for text in ids])

    async def _read(self, keys: Sequence[Key]) -> list[RawRecord]:
        today = self.client.server_now().date()
        found: list[RawRecord] = []
        for key in keys:
            slices = await self._slices(key)
            if not slices:
                continue
            chosen = current(slices, today)
            stamps = [parse_datetime(record.get("YY1_LastChangeDateTime")) for record in slices]
            moments = [stamp for stamp in stamps if stamp is not None]
            fields = dict(chosen) | {IN_FORCE: _in_force(chosen, today)}
            found.append(
                RawRecord(
                    system=SYSTEM,
                    object_name=self.object_name,
                    id=key_text(key),
                    fields=fields,
                    # Any slice's change is a change of the list price.
                    modified_at=max(moments) if moments else None,
                )
            )
        return found

    async def _slices(self, key: Key) -> list[dict[str, Any]]:
        """Every PPR0 record of the key without a customer, each with its validity expanded."""
        organization, channel, currency, material = key
        condition: Filter = compare("ConditionType", "eq", PRICE)
        for name, value in zip(_KEY_FIELDS, (organization, channel, material), strict=True):
            condition = condition & compare(name, "eq", value)
        params = {"$filter": condition.text, "$expand": RECORD}
        slices: list[dict[str, Any]] = []
        async for page in self.client.pages(SERVICE, VALIDITIES, params):
            for validity in page:
                if validity.get("Customer"):
                    continue
                record = dict(validity.get(RECORD) or {})
                if record.get(CURRENCY) != currency:
                    continue
                record.pop("__metadata", None)
                own = {
                    name: value
                    for name, value in validity.items()
                    if name not in ("__metadata", RECORD)
                }
                record[VALIDITY] = {"results": [own]}
                slices.append(record)
        return slices
