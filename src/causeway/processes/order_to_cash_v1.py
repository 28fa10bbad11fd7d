"""Order-to-cash version 1, which waits inside the engine; kept so instances started on it
finish on it. New instances start on version 2 (`order_to_cash`), which rests between events.

A CRM order through the ERP to paid, as a durable process.

The instance `order_to_cash:<CRM order id>` validates the order (customer linked by the
master-data sync, products known to the ERP, prices matching the ERP's), creates the ERP sales
order once (found by its reference before any create), stamps its number on the CRM order,
and then follows the ERP's milestones as events sent to it by key (credit block, released,
delivered, invoiced, paid), mirroring the status, invoices and payments into the CRM until the
order is paid. Anything it cannot get past goes to the operators' work queue and the instance
waits there; a retry resumes it at the step that stopped. Cancelled before delivery, it
deletes the ERP order (compensation) and says so in the CRM.

Events on topic `order` (see `order_events`): `erp_order` (an order snapshot), `erp_invoice`
(a billing document), `cancel`, and `retry` (from `causeway orders retry`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from causeway.connectors.s4hana.odata import parse_datetime
from causeway.processes.compensation import Compensations
from causeway.processes.engine import definition, sleep, transient, wait_for
from causeway.processes.order_milestones import (
    CANCELLED,
    credit_blocked,
    crm_status,
    delivery_started,
    is_complete,
)
from causeway.processes.order_steps import (
    PROCESS,
    create_erp_order,
    delete_erp_order,
    failure_problem,
    mirror_invoice,
    open_exception,
    prepare,
    read_erp,
    recheck_credit,
    reopen_exception,
    resolve_exception,
    stamp_order,
)
from causeway.processes.order_systems import current
from causeway.processes.work_queue import Problem, Reason

TOPIC = "order"
TRANSIENT_FIRST_WAIT_S = 10.0
TRANSIENT_LONGEST_WAIT_S = 300.0
VERSION = 1


class _Instance:
    """The state one instance keeps between steps; all effects go through steps."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.instance = f"{PROCESS}:{order_id}"
        self.number: str | None = None
        self.account_id: str | None = None
        self.sales_order: str | None = None
        self.exception_id: int | None = None
        self.exception_reason: str | None = None
        self.opened = 0
        self.order: dict[str, Any] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.status: str | None = None
        self.undo = Compensations()
        self.refusal: str | None = None

    # The work queue ---------------------------------------------------------------------

    def stop(self, problem: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """Open (or reopen) an exception and wait: answers `retry`, `cancel`, or `released`
        (the ERP released a credit block by itself) with the event."""
        problem = problem | {"crm_order_number": problem.get("crm_order_number") or self.number,
                             "erp_document": problem.get("erp_document") or self.sales_order}
        if self.exception_id is not None and self.exception_reason == problem["reason"]:
            reopen_exception(self.exception_id, problem)
        else:
            self.resolve()
            self.opened += 1
            self.exception_id = open_exception(
                self.instance, f"{self.instance}#{self.opened}", problem
            )
            self.exception_reason = problem["reason"]
        while True:
            event = wait_for(TOPIC, current().settings.retry_wait_s)
            if event is None:
                continue  # still on the queue; nothing is lost by waiting longer
            kind = event.get("kind")
            if kind in ("retry", "cancel"):
                return str(kind), event
            if kind == "erp_order" and self._newer(event["order"]):
                self.order = event["order"]
                if self.exception_reason == Reason.CREDIT_BLOCK and not credit_blocked(self.order):
                    return "released", event
            if kind == "erp_invoice":
                self._invoice(event["invoice"])

    def resolve(self) -> None:
        """Close the open exception, if any: the instance went past it."""
        if self.exception_id is not None:
            resolve_exception(self.exception_id)
            self.exception_id = self.exception_reason = None

    def guarded(self, name: str, call: Callable[..., Any], *arguments: Any) -> Any:
        """Run a step. A system that is down or throttling is waited out on durable timers,
        backing off, for `transient_patience_s`: an ERP outage is not an operator's problem.
        A failure that outlasts that, or any other, is parked, and the step runs again on
        retry."""
        waited, delay = 0.0, TRANSIENT_FIRST_WAIT_S
        while True:
            try:
                return call(*arguments)
            except Exception as error:  # any failure is waited out or parked, never lost
                if transient(error) and waited < current().settings.transient_patience_s:
                    sleep(delay)
                    waited, delay = waited + delay, min(delay * 2, TRANSIENT_LONGEST_WAIT_S)
                    continue
                answer, _ = self.stop(failure_problem(error, name, self.order_id))
                waited, delay = 0.0, TRANSIENT_FIRST_WAIT_S
                if answer == "cancel" and self.sales_order is None:
                    raise _CancelledEarly from None

    # ERP state --------------------------------------------------------------------------

    def _newer(self, order: dict[str, Any]) -> bool:
        if not self.order:
            return True
        seen = parse_datetime(self.order.get("LastChangeDateTime"))
        incoming = parse_datetime(order.get("LastChangeDateTime"))
        return seen is None or incoming is None or incoming >= seen

    def _invoice(self, invoice: dict[str, Any]) -> None:
        number = str(invoice["BillingDocument"])
        known = self.invoices.get(number)
        if known is not None:
            seen = parse_datetime(known.get("LastChangeDateTime"))
            incoming = parse_datetime(invoice.get("LastChangeDateTime"))
            if seen is not None and incoming is not None and incoming < seen:
                return
        if known == invoice:
            return
        self.guarded("mirror_invoice", mirror_invoice, self.order_id, self.account_id, invoice)
        self.invoices[number] = invoice

    def publish_status(self) -> None:
        """Mirror the ERP's progress into `ERP_Status__c` when it moved on."""
        status = crm_status(self.order, self.invoices.values())
        if status != self.status:
            self.guarded("stamp_order", stamp_order, self.order_id, {"ERP_Status__c": status})
            self.status = status


class _CancelledEarly(Exception):
    """Cancelled before any ERP order existed: nothing to compensate."""


def _prepare_and_create(run: _Instance) -> bool:
    """Validate and create the ERP order, through as many exceptions as it takes; False if
    the order was cancelled (or deleted) before an ERP order existed."""
    settings = current().settings
    while True:
        waited = 0.0
        while True:
            ready = run.guarded("validate", prepare, run.order_id)
            run.number = ready.get("number") or run.number
            run.account_id = ready.get("account_id") or run.account_id
            state = ready["state"]
            if state == "ready":
                break
            if state in ("cancelled", "gone"):
                return False
            if state == "waiting_customer" and waited < settings.customer_wait_s:
                sleep(settings.customer_poll_s)  # the master-data sync links it meanwhile
                waited += settings.customer_poll_s
                continue
            if state == "waiting_customer":
                problem: dict[str, Any] = {
                    "step": "ensure_customer", "reason": Reason.CUSTOMER_MISSING.value,
                    "message": f"Order {run.number} ({run.order_id}): account {run.account_id} "
                    f"(field AccountId) has no ERP customer after {waited:g} s",
                    "crm_order_id": run.order_id, "crm_order_number": run.number,
                    "erp_document": None,
                }
            else:
                problem = ready["problem"]
            answer, _ = run.stop(problem)
            if answer == "cancel":
                return False
            waited = 0.0
        created = run.guarded(
            "create_erp_order", create_erp_order, run.order_id, str(run.number),
            ready["customer"], ready["currency"], ready["lines"],
        )
        if created["state"] == "created":
            run.order = created["order"]
            run.sales_order = str(run.order["SalesOrder"])
            return True
        answer, _ = run.stop(created["problem"])
        if answer == "cancel":
            return False


def _cancel(run: _Instance) -> dict[str, Any] | None:
    """Cancellation asked for: compensate in the ERP unless goods left already. Answers the
    outcome, or None when the order carries on (the refusal is on the work queue)."""
    if not delivery_started(run.order):
        run.undo.run()
        if run.refusal is None:
            run.resolve()
            run.guarded("stamp_order", stamp_order, run.order_id, {"ERP_Status__c": CANCELLED})
            return {"outcome": "cancelled", "erp_sales_order": run.sales_order,
                    "compensated": ["delete_erp_order"]}
    problem = Problem(
        "cancel", Reason.CANCEL_REFUSED,
        f"Order {run.number} ({run.order_id}): ERP order {run.sales_order} is already being "
        "delivered; it cannot be cancelled, only returned",
        run.order_id, run.number, run.sales_order,
    )
    run.opened += 1
    run.exception_id = open_exception(
        run.instance, f"{run.instance}#{run.opened}",
        {"step": problem.step, "reason": problem.reason.value, "message": problem.message,
         "crm_order_id": run.order_id, "crm_order_number": run.number,
         "erp_document": run.sales_order},
    )
    run.exception_reason = problem.reason.value
    return None


def _undo_erp_order(run: _Instance) -> None:
    """The compensation registered after the create; the ERP's refusal, if any, is kept."""
    result = delete_erp_order(str(run.sales_order))
    run.refusal = None if result["refused"] is None else str(result["refused"])


@definition(PROCESS, version=VERSION)
def order_to_cash(order_id: str) -> dict[str, Any]:
    """One CRM order from activation to paid (or to cancelled)."""
    run = _Instance(order_id)
    try:
        if not _prepare_and_create(run):
            run.resolve()
            return {"outcome": "cancelled", "erp_sales_order": None, "compensated": []}
    except _CancelledEarly:
        run.resolve()
        return {"outcome": "cancelled", "erp_sales_order": None, "compensated": []}
    run.undo.add(_undo_erp_order, run)
    run.resolve()
    run.guarded("stamp_order", stamp_order, order_id, {"ERP_Sales_Order__c": run.sales_order})
    run.publish_status()
    fallback_s = current().settings.milestone_fallback_s
    while not is_complete(run.order, run.invoices.values()):
        if credit_blocked(run.order):
            answer, _ = run.stop({
                "step": "credit_check", "reason": Reason.CREDIT_BLOCK.value,
                "message": f"Order {run.number} ({order_id}): ERP order {run.sales_order} is "
                f"blocked by the credit check of customer {run.order.get('SoldToParty')} "
                f"(net {run.order.get('TotalNetAmount')} {run.order.get('TransactionCurrency')})",
                "crm_order_id": order_id,
            })
            if answer == "retry":
                rechecked = run.guarded("recheck_credit", recheck_credit, str(run.sales_order))
                if rechecked is not None:
                    run.order = rechecked
            elif answer == "cancel":
                outcome = _cancel(run)
                if outcome is not None:
                    return outcome
            if not credit_blocked(run.order):
                run.resolve()
            run.publish_status()
            continue
        event = wait_for(TOPIC, fallback_s)
        kind = None if event is None else event.get("kind")
        if event is None:
            state = run.guarded("read_erp", read_erp, str(run.sales_order))
            if state["order"] is None:
                run.guarded("stamp_order", stamp_order, order_id, {"ERP_Status__c": CANCELLED})
                return {"outcome": "deleted_in_erp", "erp_sales_order": run.sales_order,
                        "compensated": []}
            run.order = state["order"]
            for invoice in state["invoices"]:
                run._invoice(invoice)
        elif kind == "erp_order" and run._newer(event["order"]):
            run.order = event["order"]
        elif kind == "erp_invoice":
            run._invoice(event["invoice"])
        elif kind == "cancel":
            outcome = _cancel(run)
            if outcome is not None:
                return outcome
        elif kind == "retry" and run.exception_reason == Reason.CANCEL_REFUSED:
            run.resolve()  # the operator has seen the refusal; the order carries on
        run.publish_status()
    run.resolve()
    return {
        "outcome": "completed",
        "erp_sales_order": run.sales_order,
        "invoices": sorted(run.invoices),
    }
