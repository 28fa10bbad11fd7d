"""Price and available-to-promise of quote lines, from S/4HANA's sales order simulation.

API_SALES_ORDER_SIMULATION_SRV answers a POST of an order (header, `to_Item`) with the order
as S/4HANA would create it, without saving anything: net values and pricing elements, schedule
lines with confirmed quantities and dates, the credit check. The request names `to_Pricing`,
each item's `to_ScheduleLine` and `to_PricingElement`, and `to_Credit`, which is how the service
is asked to run each check.

A quote screen waits for the answer, so each call has its own deadline (`timeout_s`): past it,
`SimulationTimeout` (a retryable error) lets the caller answer from what it already knows.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from causeway.connectors.errors import InvalidRecordError, RetryableError
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.odata import compare, parse_datetime

SERVICE = "API_SALES_ORDER_SIMULATION_SRV"
ENTITY_SET = "A_SalesOrderSimulation"
PARTNER_SERVICE = "API_BUSINESS_PARTNER"
CREDIT_BLOCKED = "B"
_CENT = Decimal("0.01")
# Keys go into a JSON body, never into a URL, but are still checked against SAP's formats
# so that a malformed value fails here, naming the field, instead of in the ERP.
_PARTY = re.compile(r"^[A-Z0-9]{1,10}$")
_MATERIAL = re.compile(r"^[A-Z0-9][A-Z0-9_\-./]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3,5}$")
_UNIT = re.compile(r"^[A-Z0-9]{1,3}$")
_PLANT = re.compile(r"^[A-Z0-9]{4}$")
_ORG = re.compile(r"^[A-Z0-9]{1,4}$")
_CHANNEL = re.compile(r"^[A-Z0-9]{2}$")


@dataclass(frozen=True)
class SalesArea:
    """Sales organization, distribution channel and division an order is placed in."""

    sales_organization: str
    distribution_channel: str
    division: str
    order_type: str = "OR"


@dataclass(frozen=True)
class QuoteLine:
    """One line to price and confirm: material and quantity (in the material's base unit
    unless `unit` says otherwise), optionally from a given plant."""

    material: str
    quantity: Decimal
    unit: str | None = None
    plant: str | None = None


@dataclass(frozen=True)
class SimulatedLine:
    """A line as S/4HANA would take it: what it confirms, when, and at what price."""

    item: str
    material: str
    requested_quantity: Decimal
    unit: str | None
    confirmed_quantity: Decimal
    confirmed_date: date | None
    unit_net_price: Decimal | None
    net_amount: Decimal | None
    currency: str
    plant: str | None

    @property
    def fully_confirmed(self) -> bool:
        """True when the whole requested quantity is confirmed."""
        return self.confirmed_quantity >= self.requested_quantity


@dataclass(frozen=True)
class SimulationMessage:
    """A non-fatal message of the simulation (partial confirmation, credit limit...)."""

    code: str
    text: str
    severity: str
    target: str = ""


@dataclass(frozen=True)
class Simulation:
    """The simulated order: its lines, its net value and what S/4HANA had to say."""

    sold_to: str
    currency: str
    lines: tuple[SimulatedLine, ...]
    net_amount: Decimal
    credit_status: str | None
    messages: tuple[SimulationMessage, ...] = ()

    @property
    def credit_blocked(self) -> bool:
        """True when an order like this would be blocked by the credit check."""
        return self.credit_status == CREDIT_BLOCKED


class SimulationTimeout(RetryableError):
    """No answer within the call's deadline: the ERP is slow, the caller may degrade."""


def _invalid(message: str, field: str, record_id: str | None) -> InvalidRecordError:
    return InvalidRecordError(
        message, system=SYSTEM, object_name=ENTITY_SET, record_id=record_id, field=field
    )


def _checked(value: str, pattern: re.Pattern[str], field: str, record_id: str | None) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise _invalid(f"{value!r} is not a valid {field}", field, record_id)
    return value


def _quantity(value: Decimal, record_id: str) -> Decimal:
    try:
        quantity = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(f"{value!r} is not a quantity", "RequestedQuantity", record_id) from None
    if not quantity.is_finite() or quantity <= 0:
        raise _invalid(
            f"quantity {value} must be a positive number", "RequestedQuantity", record_id
        )
    return quantity


class OrderSimulator:
    """Simulates orders through one S/4 client (its session, CSRF token, pacing)."""

    def __init__(self, client: S4Client) -> None:
        self.client = client
        self._areas: dict[str, SalesArea] = {}

    async def simulate_order(
        self,
        sold_to: str,
        currency: str,
        lines: Sequence[QuoteLine],
        *,
        sales_area: SalesArea | None = None,
        timeout_s: float | None = None,
    ) -> Simulation:
        """Price and confirm `lines` for customer `sold_to` in `currency`; nothing is saved.

        Without `sales_area`, the customer's first sales area is read once and remembered.
        `timeout_s` bounds the whole call (token fetch and pacing included); it defaults to
        the client's timeout. Raises `SimulationTimeout` past it, `InvalidRecordError` naming
        the field for a request S/4HANA refuses, and the client's other errors as they come.
        """
        body = self._body(sold_to, currency, lines)
        deadline = self.client.settings.timeout_s if timeout_s is None else timeout_s
        try:
            async with asyncio.timeout(deadline):
                area = sales_area or await self._sales_area(sold_to)
                body |= {
                    "SalesOrderType": area.order_type,
                    "SalesOrganization": _checked(
                        area.sales_organization, _ORG, "SalesOrganization", sold_to
                    ),
                    "DistributionChannel": _checked(
                        area.distribution_channel, _CHANNEL, "DistributionChannel", sold_to
                    ),
                    "OrganizationDivision": _checked(
                        area.division, _CHANNEL, "OrganizationDivision", sold_to
                    ),
                }
                response = await self.client.request(
                    "POST", SERVICE, ENTITY_SET, json=body, object_name=ENTITY_SET,
                    record_id=sold_to,
                )
        except TimeoutError:
            raise SimulationTimeout(
                f"no answer within {deadline:g} s",
                system=SYSTEM,
                object_name=ENTITY_SET,
                record_id=sold_to,
            ) from None
        return _simulation(sold_to, response.json()["d"], response.headers.get("sap-message"))

    def _body(self, sold_to: str, currency: str, lines: Sequence[QuoteLine]) -> dict[str, Any]:
        _checked(sold_to, _PARTY, "SoldToParty", sold_to)
        _checked(currency, _CURRENCY, "TransactionCurrency", sold_to)
        if not lines:
            raise _invalid("a simulation needs at least one line", "to_Item", sold_to)
        items: list[dict[str, Any]] = []
        for position, line in enumerate(lines, start=1):
            record = f"{sold_to}/{position * 10}"
            item: dict[str, Any] = {
                "SalesOrderItem": str(position * 10),
                "Material": _checked(line.material, _MATERIAL, "Material", record),
                "RequestedQuantity": format(_quantity(line.quantity, record), "f"),
                "to_PricingElement": [],
                "to_ScheduleLine": [],
            }
            if line.unit is not None:
                item["RequestedQuantityUnit"] = _checked(
                    line.unit, _UNIT, "RequestedQuantityUnit", record
                )
            if line.plant is not None:
                item["Plant"] = _checked(line.plant, _PLANT, "Plant", record)
            items.append(item)
        return {
            "SoldToParty": sold_to,
            "TransactionCurrency": currency,
            "to_Item": items,
            "to_Pricing": {},
            "to_Credit": {},
        }

    async def _sales_area(self, sold_to: str) -> SalesArea:
        known = self._areas.get(sold_to)
        if known is not None:
            return known
        params = {
            "$filter": compare("Customer", "eq", sold_to).text,
            "$select": "SalesOrganization,DistributionChannel,Division",
            "$top": "1",
        }
        response = await self.client.request(
            "GET", PARTNER_SERVICE, "A_CustomerSalesArea", params=params,
            object_name=ENTITY_SET, record_id=sold_to,
        )
        rows = response.json().get("d", {}).get("results", [])
        if not rows:
            raise _invalid(
                f"customer {sold_to} has no sales area to order in", "SoldToParty", sold_to
            )
        area = SalesArea(
            str(rows[0]["SalesOrganization"]),
            str(rows[0]["DistributionChannel"]),
            str(rows[0]["Division"]),
        )
        self._areas[sold_to] = area
        return area


def _decimal(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _results(value: object) -> list[dict[str, Any]]:
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        return list(value["results"])
    return []


def _line(item: dict[str, Any], currency: str) -> SimulatedLine:
    requested = _decimal(item.get("RequestedQuantity")) or Decimal(0)
    confirmed = Decimal(0)
    confirmed_on: date | None = None
    for schedule in _results(item.get("to_ScheduleLine")):
        quantity = _decimal(schedule.get("ConfdOrderQtyByMatlAvailCheck")) or Decimal(0)
        moment = parse_datetime(schedule.get("ConfirmedDeliveryDate"))
        confirmed += quantity
        if quantity > 0 and moment is not None:
            # The whole confirmed quantity is there by the last confirmed date.
            confirmed_on = max(confirmed_on or moment.date(), moment.date())
    net = _decimal(item.get("NetAmount"))
    unit_price = None
    if net is not None and requested > 0:
        unit_price = (net / requested).quantize(_CENT, rounding=ROUND_HALF_UP)
    return SimulatedLine(
        item=str(item.get("SalesOrderItem") or ""),
        material=str(item.get("Material") or ""),
        requested_quantity=requested,
        unit=item.get("RequestedQuantityUnit"),
        confirmed_quantity=confirmed,
        confirmed_date=confirmed_on,
        unit_net_price=unit_price,
        net_amount=net,
        currency=str(item.get("TransactionCurrency") or currency),
        plant=item.get("Plant"),
    )


def _simulation(sold_to: str, document: dict[str, Any], header: str | None) -> Simulation:
    currency = str(document.get("TransactionCurrency") or "")
    lines = tuple(_line(item, currency) for item in _results(document.get("to_Item")))
    pricing = document.get("to_Pricing")
    total = _decimal(pricing.get("TotalNetAmount")) if isinstance(pricing, dict) else None
    if total is None:
        total = sum((line.net_amount or Decimal(0) for line in lines), Decimal(0))
    credit = document.get("to_Credit")
    status = credit.get("TotalCreditCheckStatus") if isinstance(credit, dict) else None
    return Simulation(
        sold_to=sold_to,
        currency=currency,
        lines=lines,
        net_amount=total,
        credit_status=status if isinstance(status, str) else None,
        messages=_messages(header),
    )


def _messages(header: str | None) -> tuple[SimulationMessage, ...]:
    """The `sap-message` header: one message, the others under `details`."""
    if not header:
        return ()
    try:
        top = json.loads(header)
    except ValueError:
        return (SimulationMessage("", header[:500], "info"),)
    if not isinstance(top, dict):
        return ()
    details = top.get("details")
    found: list[SimulationMessage] = []
    for raw in [top, *(details if isinstance(details, list) else [])]:
        if isinstance(raw, dict):
            found.append(SimulationMessage(
                code=str(raw.get("code") or ""),
                text=str(raw.get("message") or ""),
                severity=str(raw.get("severity") or "info"),
                target=str(raw.get("target") or ""),
            ))
    return tuple(found)
