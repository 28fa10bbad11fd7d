"""Is a CRM order ready for the ERP? Customer, products, quantities and prices, checked.

Pure functions: the step that reads both systems hands their answers here and gets back
either the lines to order or the one problem an operator must fix, naming the record and the
field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from causeway.connectors.s4hana.simulation import Simulation
from causeway.processes.crm_orders import CrmOrder
from causeway.processes.work_queue import Problem, Reason

STEP = "validate"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ReadyLine:
    """A CRM line with the ERP material it orders."""

    line_id: str
    material: str
    quantity: Decimal
    unit_price: Decimal | None


def _problem(order: CrmOrder, reason: Reason, message: str) -> Problem:
    return Problem(
        step=STEP, reason=reason, message=f"Order {order.number} ({order.order_id}): {message}",
        crm_order_id=order.order_id, crm_order_number=order.number,
    )


def check_header(order: CrmOrder) -> Problem | None:
    """The order itself: an account, a currency and at least one line."""
    if not order.account_id:
        return _problem(order, Reason.INVALID_ORDER, "field AccountId is empty")
    if not order.currency:
        return _problem(order, Reason.INVALID_ORDER, "field CurrencyIsoCode is empty")
    if not order.lines:
        return _problem(order, Reason.INVALID_ORDER, "the order has no order products")
    return None


def check_lines(
    order: CrmOrder, materials: Mapping[str, str | None], known: set[str]
) -> tuple[list[ReadyLine], Problem | None]:
    """Each line's product must be linked to an ERP material the ERP knows, with a positive
    quantity. `materials` maps the CRM line id to its linked material (None: not linked)."""
    ready: list[ReadyLine] = []
    for line in order.lines:
        label = f"order product {line.line_id} ({line.product_code or line.product_id})"
        if line.quantity <= 0:
            return [], _problem(
                order, Reason.INVALID_ORDER, f"{label}: field Quantity is {line.quantity}"
            )
        material = materials.get(line.line_id)
        if material is None:
            return [], _problem(
                order, Reason.UNKNOWN_PRODUCT,
                f"{label}: field Product2Id is not linked to an ERP material",
            )
        if material not in known:
            return [], _problem(
                order, Reason.UNKNOWN_PRODUCT,
                f"{label}: field Product2Id names material {material}, unknown in the ERP",
            )
        ready.append(ReadyLine(line.line_id, material, line.quantity, line.unit_price))
    return ready, None


def check_prices(
    order: CrmOrder, lines: list[ReadyLine], simulation: Simulation, tolerance_percent: Decimal
) -> Problem | None:
    """The CRM's unit prices must match the ERP's net prices within the tolerance."""
    for line, simulated in zip(lines, simulation.lines, strict=False):
        erp_price = simulated.unit_net_price
        if line.unit_price is None or erp_price is None:
            continue
        allowed = abs(erp_price) * tolerance_percent / HUNDRED + Decimal("0.005")
        if abs(line.unit_price - erp_price) > allowed:
            return _problem(
                order, Reason.PRICE_MISMATCH,
                f"order product {line.line_id} (material {line.material}): field UnitPrice is "
                f"{line.unit_price} {order.currency}, the ERP prices it at {erp_price} "
                f"{simulation.currency} (tolerance {tolerance_percent}%)",
            )
    return None
