"""Order checks name the order, the line and the field an operator must fix."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from causeway.connectors.s4hana.simulation import SimulatedLine, Simulation
from causeway.processes.crm_orders import CrmLine, CrmOrder
from causeway.processes.order_checks import (
    ReadyLine,
    check_header,
    check_lines,
    check_prices,
)
from causeway.processes.work_queue import Reason


def crm_order(*lines: CrmLine, account: str | None = "001A") -> CrmOrder:
    return CrmOrder("801A", "00000042", account, "Activated", "EUR", None, None, lines)


def line(line_id: str = "802A", quantity: str = "2", price: str | None = "10.00") -> CrmLine:
    return CrmLine(line_id, "01tA", "SKU-1", None, Decimal(quantity),
                   None if price is None else Decimal(price))


def simulated(price: str) -> Simulation:
    simulated_line = SimulatedLine("10", "MAT-1", Decimal(2), "EA", Decimal(2), date(2027, 1, 1),
                                   Decimal(price), Decimal(price) * 2, "EUR", "1010")
    return Simulation("10000001", "EUR", (simulated_line,), Decimal(price) * 2, "A")


def test_an_order_without_account_or_lines_is_invalid() -> None:
    problem = check_header(crm_order(line(), account=None))
    assert problem is not None
    assert problem.reason is Reason.INVALID_ORDER
    assert "00000042" in problem.message
    assert "AccountId" in problem.message
    empty = check_header(crm_order())
    assert empty is not None
    assert "no order products" in empty.message
    assert check_header(crm_order(line())) is None


def test_a_product_not_linked_or_unknown_in_the_erp_is_an_unknown_product() -> None:
    order = crm_order(line())
    _, unlinked = check_lines(order, {"802A": None}, set())
    assert unlinked is not None
    assert unlinked.reason is Reason.UNKNOWN_PRODUCT
    assert "802A" in unlinked.message
    assert "Product2Id" in unlinked.message
    _, unknown = check_lines(order, {"802A": "MAT-9"}, {"MAT-1"})
    assert unknown is not None
    assert "MAT-9" in unknown.message
    ready, none = check_lines(order, {"802A": "MAT-1"}, {"MAT-1"})
    assert none is None
    assert ready == [ReadyLine("802A", "MAT-1", Decimal(2), Decimal("10.00"))]


def test_a_zero_quantity_names_the_field() -> None:
    _, problem = check_lines(crm_order(line(quantity="0")), {"802A": "MAT-1"}, {"MAT-1"})
    assert problem is not None
    assert problem.reason is Reason.INVALID_ORDER
    assert "Quantity" in problem.message


def test_prices_match_within_the_tolerance_only() -> None:
    order = crm_order(line(price="10.04"))
    ready = [ReadyLine("802A", "MAT-1", Decimal(2), Decimal("10.04"))]
    assert check_prices(order, ready, simulated("10.00"), Decimal("0.5")) is None
    problem = check_prices(order, ready, simulated("10.00"), Decimal("0.1"))
    assert problem is not None
    assert problem.reason is Reason.PRICE_MISMATCH
    assert "UnitPrice is 10.04 EUR" in problem.message
    assert "10.00" in problem.message
