"""The steps of order-to-cash: each reads or changes one system, checkpointed once done.

Steps answer plain dicts (they are checkpointed as they are). A step that changes another
system is safe to run again after a crash: the ERP order is found by its reference before it
is created, CRM invoices and payments are upserted by the ERP document number, and an
exception row is opened once per token.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from causeway.connectors.errors import ErrorClass, InvalidRecordError
from causeway.connectors.s4hana.errors import SYSTEM as S4HANA
from causeway.connectors.s4hana.sales_orders import OrderLine
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.connectors.salesforce.errors import SYSTEM as SALESFORCE
from causeway.processes.crm_orders import CrmOrder
from causeway.processes.engine import step
from causeway.processes.order_checks import check_header, check_lines, check_prices
from causeway.processes.order_milestones import (
    invoice_fields,
    invoice_snapshot,
    order_snapshot,
    payment_fields,
)
from causeway.processes.order_systems import current
from causeway.processes.work_queue import Problem, Reason
from causeway.sync.xref import Xref, new_canonical_id

PROCESS = "order_to_cash"
CALL_ATTEMPTS = 3
FIRST_RETRY_S = 0.25
"""A step holds one of the host's workers while it retries: a few quick retries absorb a
dropped call or a short burst of 429s; anything longer is waited out by the instance at
rest, which frees the worker for other orders."""
ORDER_ENTITY = "sales_order"
"""Cross-reference entity linking a CRM order to its ERP sales order (for milestone events)."""


def problem_dict(problem: Problem) -> dict[str, Any]:
    """A problem as a step answers it."""
    return asdict(problem) | {"reason": problem.reason.value}


def problem_of(values: dict[str, Any]) -> Problem:
    """A problem from a step's answer."""
    return Problem(**(values | {"reason": Reason(values["reason"])}))


def _materials(order: CrmOrder) -> dict[str, str | None]:
    """Each line's ERP material: through the product cross-reference, else the material the
    product sync stamped on Product2 (`ERP_Material__c`)."""
    systems = current()
    found: dict[str, str | None] = {}
    with systems.database.connect() as connection:
        xref = Xref(connection)
        for line in order.lines:
            linked = None
            if line.product_id:
                linked = xref.resolve("product", SALESFORCE, line.product_id, S4HANA)
            found[line.line_id] = linked or line.material
    return found


def _customer(account_id: str) -> str | None:
    with current().database.connect() as connection:
        return Xref(connection).resolve("customer", SALESFORCE, account_id, S4HANA)


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="salesforce",
      keys=lambda result, order_id: {
          "crm_order_id": order_id, "crm_order": result.get("number"),
      })
def prepare(order_id: str) -> dict[str, Any]:
    """Read the CRM order and check it against the ERP: customer linked, products known,
    prices matching. Answers `state`: ready, waiting_customer, problem, cancelled or gone."""
    systems = current()
    order = systems.run(lambda: systems.crm.get(order_id))
    if order is None:
        return {"state": "gone"}
    keys = {"number": order.number, "account_id": order.account_id}
    if order.status == "Cancelled":
        return {"state": "cancelled"} | keys
    problem = check_header(order)
    if problem is not None:
        return {"state": "problem", "problem": problem_dict(problem)} | keys
    assert order.account_id is not None
    customer = _customer(order.account_id)
    if customer is None:
        return {"state": "waiting_customer"} | keys
    materials = _materials(order)
    wanted = {material for material in materials.values() if material}
    known = systems.run(lambda: systems.erp.known_materials(wanted))
    lines, problem = check_lines(order, materials, known)
    if problem is not None:
        return {"state": "problem", "problem": problem_dict(problem)} | keys
    try:
        simulation = systems.run(lambda: systems.s4.simulate_order(
            customer, order.currency, [QuoteLine(line.material, line.quantity) for line in lines]
        ))
    except InvalidRecordError as error:
        refused = Problem("validate", Reason.ERP_VALIDATION, error.describe(), order.order_id,
                          order.number)
        return {"state": "problem", "problem": problem_dict(refused)} | keys
    problem = check_prices(order, lines, simulation, systems.settings.price_tolerance_percent)
    if problem is not None:
        return {"state": "problem", "problem": problem_dict(problem)} | keys
    return {
        "state": "ready",
        "customer": customer,
        "currency": order.currency,
        "lines": [[line.material, str(line.quantity)] for line in lines],
    } | keys


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="s4hana", keys=lambda result, *_: {
    "erp_sales_order": (result.get("order") or {}).get("SalesOrder"),
})
def create_erp_order(
    order_id: str, number: str, customer: str, currency: str, lines: list[list[str]]
) -> dict[str, Any]:
    """Find the ERP order by its reference (the CRM order number) or create it, and link it
    to the CRM order. Answers `state` created (with the order) or problem."""
    systems = current()
    wanted = [OrderLine(material, Decimal(quantity)) for material, quantity in lines]
    try:
        order, created = systems.run(
            lambda: systems.erp.ensure(number, customer, currency, wanted)
        )
    except InvalidRecordError as error:
        problem = Problem("create_erp_order", Reason.ERP_VALIDATION, error.describe(), order_id,
                          number)
        return {"state": "problem", "problem": problem_dict(problem)}
    sales_order = str(order["SalesOrder"])
    with systems.database.begin() as connection:
        xref = Xref(connection)
        canonical = xref.canonical_id(ORDER_ENTITY, SALESFORCE, order_id)
        if canonical is None:
            canonical = new_canonical_id()
            xref.link(ORDER_ENTITY, canonical, SALESFORCE, order_id, by="process")
        xref.link(ORDER_ENTITY, canonical, S4HANA, sales_order, by="process")
    return {"state": "created", "created": created, "order": order_snapshot(order)}


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="salesforce")
def stamp_order(order_id: str, fields: dict[str, Any]) -> None:
    """Write the ERP order number or status onto the CRM order."""
    systems = current()
    systems.run(lambda: systems.crm.stamp(order_id, fields))


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="s4hana")
def recheck_credit(sales_order: str) -> dict[str, Any] | None:
    """Have the ERP run its credit check on the order again (after a limit was raised)."""
    systems = current()
    order = systems.run(lambda: systems.erp.recheck_credit(sales_order))
    return None if order is None else order_snapshot(order)


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="s4hana")
def read_erp(sales_order: str) -> dict[str, Any]:
    """The order and its invoices as the ERP holds them now (the fallback when no event
    came for a long while)."""
    systems = current()

    async def read() -> dict[str, Any]:
        order = await systems.erp.get(sales_order)
        invoices = await systems.erp.invoices(sales_order) if order is not None else []
        return {
            "order": None if order is None else order_snapshot(order),
            "invoices": [invoice_snapshot(invoice) for invoice in invoices],
        }

    return systems.run(read)


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="salesforce",
      keys=lambda _, __, ___, invoice: {
          "erp_billing_document": invoice.get("BillingDocument"),
      })
def mirror_invoice(order_id: str, account_id: str | None, invoice: dict[str, Any]) -> str:
    """Upsert the CRM invoice for a billing document, and its payment once it is cleared."""
    systems = current()

    async def write() -> str:
        invoice_id = await systems.crm.upsert_invoice(
            invoice_fields(invoice, order_id, account_id)
        )
        payment = payment_fields(invoice, invoice_id, account_id)
        if payment is not None:
            await systems.crm.upsert_payment(payment)
        return invoice_id

    return systems.run(write)


@step(attempts=CALL_ATTEMPTS, interval_s=FIRST_RETRY_S, system="s4hana")
def delete_erp_order(sales_order: str) -> dict[str, Any]:
    """Compensation: delete the ERP order while nothing is delivered. Answers whether it
    was deleted, or the ERP's refusal (goods already left)."""
    systems = current()
    try:
        deleted = systems.run(lambda: systems.erp.delete(sales_order))
    except InvalidRecordError as error:
        return {"deleted": False, "refused": error.describe()}
    return {"deleted": deleted, "refused": None}


@step(attempts=5, interval_s=0.5)
def open_exception(instance: str, token: str, problem: dict[str, Any]) -> int:
    """Put the problem on the operators' work queue (once per token)."""
    return current().queue.open(PROCESS, instance, token, problem_of(problem))


@step(attempts=5, interval_s=0.5)
def reopen_exception(exception_id: int, problem: dict[str, Any]) -> None:
    """The retry met the same cause: the row opens again with one attempt more."""
    current().queue.reopen(exception_id, problem_of(problem))


@step(attempts=5, interval_s=0.5)
def resolve_exception(exception_id: int) -> None:
    """The instance went past the step that stopped it."""
    current().queue.resolve(exception_id)


def failure_problem(error: BaseException, step_name: str, order_id: str) -> dict[str, Any]:
    """A step that failed for good (its retries spent) as a work-queue problem."""
    error_class = getattr(error, "error_class", None)
    cause = error_class.value if isinstance(error_class, ErrorClass) else type(error).__name__
    problem = Problem(step_name, Reason.SYSTEM_FAILURE, f"{cause}: {error}", order_id)
    return problem_dict(problem)
