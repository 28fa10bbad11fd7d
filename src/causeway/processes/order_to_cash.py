"""Order-to-cash: a CRM order through the ERP to paid, as a durable process that rests.

The instance `order_to_cash:<CRM order id>` validates the order (customer linked by the
master-data sync, products known to the ERP, prices matching the ERP's), creates the ERP sales
order once (found by its reference before any create), stamps its number on the CRM order,
and then follows the ERP's milestones as events sent to it by key (credit block, released,
delivered, invoiced, paid), mirroring the status, invoices and payments into the CRM until the
order is paid. Anything it cannot get past goes to the operators' work queue; a retry resumes
it at the step that stopped. Cancelled before delivery, it deletes the ERP order
(compensation) and says so in the CRM.

Between events it rests (`resumable`): an order waiting 30 days for its payment is a row, not
a thread. Each wake-up runs one segment: the events since the last one are absorbed into the
instance's state (`_Order`), then `advance` goes as far as it can and rests again, until an
event, its timer (an outage waited out, the fallback read of the ERP when nothing was heard
for `milestone_fallback_s`), or the operator's retry.

Events on topic `order` (see `order_events`): `erp_order` (an order snapshot), `erp_invoice`
(a billing document), `cancel`, and `retry` (from `causeway orders retry`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn

from causeway.connectors.s4hana.odata import parse_datetime
from causeway.processes import order_to_cash_v1  # noqa: F401 - its instances finish on it
from causeway.processes.engine import resumable, transient
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
from causeway.processes.resumable import Event, Finish, Rest, Resume
from causeway.processes.work_queue import Reason

TOPIC = "order"
TRANSIENT_FIRST_WAIT_S = 2.0
TRANSIENT_LONGEST_WAIT_S = 300.0
VERSION = 2

PREPARE = "prepare"
CREATE = "create"
FOLLOW = "follow"


@dataclass
class _Order:
    """What an instance keeps between segments (JSON)."""

    order_id: str
    phase: str = PREPARE
    number: str | None = None
    account_id: str | None = None
    ready: dict[str, Any] | None = None
    """The validated order (customer, currency, lines) the ERP order is created from."""
    sales_order: str | None = None
    stamped: bool = False
    order: dict[str, Any] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmirrored: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str | None = None
    exception_id: int | None = None
    exception_reason: str | None = None
    exception_step: str | None = None
    opened: int = 0
    with_operator: bool = False
    """An exception is open and only the operator's retry (or the ERP) moves it on."""
    retry_asked: bool = False
    cancel_asked: bool = False
    recheck_credit: bool = False
    customer_waited: float = 0.0
    outage_waited: float = 0.0
    outage_delay: float = TRANSIENT_FIRST_WAIT_S
    retry_at: float | None = None
    """A system was down or throttling: the step runs again after this (epoch seconds)."""


class _Rest(Exception):
    """Unwinds a segment: rest until `wake_at` (epoch seconds) or, with None, an event."""

    def __init__(self, wake_at: float | None) -> None:
        super().__init__(wake_at)
        self.wake_at = wake_at


class _End(Exception):
    """Unwinds a segment: the instance ended with `result`."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


def _newer(seen: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """True unless `incoming` is an older version of the document than `seen`."""
    if not seen:
        return True
    before = parse_datetime(seen.get("LastChangeDateTime"))
    after = parse_datetime(incoming.get("LastChangeDateTime"))
    return before is None or after is None or after >= before


class _Segment:
    """One wake-up of an instance: absorb the events, advance, rest or end."""

    def __init__(self, resume: Resume) -> None:
        self.resume = resume
        self.state = _Order(**resume.state) if resume.state else _Order(resume.key)
        self.instance = f"{PROCESS}:{self.state.order_id}"
        self.settings = current().settings

    # Events -----------------------------------------------------------------------------

    def absorb(self, events: tuple[Event, ...]) -> None:
        """Take in what happened since the last segment; the work happens in `advance`."""
        state = self.state
        for event in events:
            kind = event.payload.get("kind")
            if kind == "retry":
                state.retry_asked = True
            elif kind == "cancel":
                state.cancel_asked = True
            elif kind == "erp_order" and _newer(state.order, event.payload["order"]):
                state.order = event.payload["order"]
            elif kind == "erp_invoice":
                self.note_invoice(event.payload["invoice"])

    def note_invoice(self, invoice: dict[str, Any]) -> None:
        """Queue a billing document for the CRM unless it is one already mirrored or older."""
        number = str(invoice["BillingDocument"])
        known = self.state.unmirrored.get(number) or self.state.invoices.get(number)
        if known is not None and (known == invoice or not _newer(known, invoice)):
            return
        self.state.unmirrored[number] = invoice

    # Moving on --------------------------------------------------------------------------

    def advance(self) -> None:
        """Go as far as the order can without waiting; raises `_Rest` or `_End`."""
        state = self.state
        if state.cancel_asked:
            self.cancel()
        if state.with_operator:
            if state.retry_asked:
                state.with_operator = False
                state.recheck_credit = state.exception_reason == Reason.CREDIT_BLOCK
                state.customer_waited = 0.0
                state.retry_at = None
                state.outage_waited, state.outage_delay = 0.0, TRANSIENT_FIRST_WAIT_S
            elif state.exception_reason == Reason.CREDIT_BLOCK and not credit_blocked(
                state.order
            ):
                state.with_operator = False  # the ERP released it by itself
            else:
                state.retry_asked = False
                raise _Rest(None)
        if state.retry_asked and state.exception_reason == Reason.CANCEL_REFUSED:
            self.resolve()  # the operator has seen the refusal; the order carries on
        state.retry_asked = False
        if state.retry_at is not None and self.resume.now < state.retry_at:
            raise _Rest(state.retry_at)  # woken early by an event: the outage wait goes on
        fallback_due = self.resume.timer_due and state.retry_at is None and state.phase == FOLLOW
        state.retry_at = None
        if state.phase == PREPARE:
            self.prepare()
        if state.phase == CREATE:
            self.create()
        self.follow(read_erp_first=fallback_due)

    def prepare(self) -> None:
        state = self.state
        ready = self.attempt("validate", prepare, state.order_id)
        state.number = ready.get("number") or state.number
        state.account_id = ready.get("account_id") or state.account_id
        outcome = ready["state"]
        if outcome == "ready":
            state.ready = {name: ready[name] for name in ("customer", "currency", "lines")}
            state.phase, state.customer_waited = CREATE, 0.0
            return
        if outcome in ("cancelled", "gone"):
            self.resolve()
            raise _End({"outcome": "cancelled", "erp_sales_order": None, "compensated": []})
        if outcome == "waiting_customer" and state.customer_waited < self.settings.customer_wait_s:
            state.customer_waited += self.settings.customer_poll_s
            raise _Rest(time.time() + self.settings.customer_poll_s)  # the sync links it
        if outcome == "waiting_customer":
            self.to_operator({
                "step": "ensure_customer", "reason": Reason.CUSTOMER_MISSING.value,
                "message": f"Order {state.number} ({state.order_id}): account "
                f"{state.account_id} (field AccountId) has no ERP customer after "
                f"{state.customer_waited:g} s",
                "crm_order_id": state.order_id,
            })
        self.to_operator(ready["problem"])

    def create(self) -> None:
        state = self.state
        assert state.ready is not None
        created = self.attempt(
            "create_erp_order", create_erp_order, state.order_id, str(state.number),
            state.ready["customer"], state.ready["currency"], state.ready["lines"],
        )
        if created["state"] != "created":
            state.phase = PREPARE  # validated again after the operator's fix
            self.to_operator(created["problem"])
        state.order = created["order"]
        state.sales_order = str(state.order["SalesOrder"])
        state.phase = FOLLOW
        self.resolve()

    def follow(self, *, read_erp_first: bool) -> None:
        """Mirror what the ERP said into the CRM; end when paid, else rest until the next
        event or, when nothing comes for `milestone_fallback_s`, read the ERP."""
        state = self.state
        if not state.stamped:
            self.stamp({"ERP_Sales_Order__c": state.sales_order})
            state.stamped = True
        if read_erp_first:
            found = self.attempt("read_erp", read_erp, str(state.sales_order))
            if found["order"] is None:
                self.stamp({"ERP_Status__c": CANCELLED})
                raise _End({"outcome": "deleted_in_erp", "erp_sales_order": state.sales_order,
                            "compensated": []})
            state.order = found["order"]
            for invoice in found["invoices"]:
                self.note_invoice(invoice)
        for number in sorted(state.unmirrored):
            invoice = state.unmirrored[number]
            self.attempt("mirror_invoice", mirror_invoice, state.order_id, state.account_id,
                         invoice)
            state.invoices[number] = invoice
            del state.unmirrored[number]
        self.publish_status()
        if credit_blocked(state.order):
            if state.recheck_credit:
                state.recheck_credit = False
                rechecked = self.attempt("recheck_credit", recheck_credit, str(state.sales_order))
                if rechecked is not None:
                    state.order = rechecked
                self.publish_status()
            if credit_blocked(state.order):
                self.to_operator({
                    "step": "credit_check", "reason": Reason.CREDIT_BLOCK.value,
                    "message": f"Order {state.number} ({state.order_id}): ERP order "
                    f"{state.sales_order} is blocked by the credit check of customer "
                    f"{state.order.get('SoldToParty')} (net {state.order.get('TotalNetAmount')} "
                    f"{state.order.get('TransactionCurrency')})",
                    "crm_order_id": state.order_id,
                })
        if state.exception_reason == Reason.CREDIT_BLOCK:
            self.resolve()
        if is_complete(state.order, state.invoices.values()):
            self.resolve()
            raise _End({"outcome": "completed", "erp_sales_order": state.sales_order,
                        "invoices": sorted(state.invoices)})
        raise _Rest(time.time() + self.settings.milestone_fallback_s)

    def cancel(self) -> None:
        """Cancellation asked for: compensate in the ERP unless goods left already; a refusal
        goes to the work queue and the order carries on."""
        state = self.state
        if state.sales_order is None:
            self.resolve()
            raise _End({"outcome": "cancelled", "erp_sales_order": None, "compensated": []})
        refusal = None
        if not delivery_started(state.order):
            deleted = self.attempt("delete_erp_order", delete_erp_order, state.sales_order)
            refusal = deleted["refused"]
            if refusal is None:
                self.resolve()
                self.stamp({"ERP_Status__c": CANCELLED})
                raise _End({"outcome": "cancelled", "erp_sales_order": state.sales_order,
                            "compensated": ["delete_erp_order"]})
        state.cancel_asked = False
        self.open({
            "step": "cancel", "reason": Reason.CANCEL_REFUSED.value,
            "message": f"Order {state.number} ({state.order_id}): ERP order "
            f"{state.sales_order} is already being delivered; it cannot be cancelled, only "
            "returned" + (f" ({refusal})" if refusal else ""),
            "crm_order_id": state.order_id,
        })

    def publish_status(self) -> None:
        """Mirror the ERP's progress into `ERP_Status__c` when it moved on."""
        status = crm_status(self.state.order, self.state.invoices.values())
        if status != self.state.status:
            self.stamp({"ERP_Status__c": status})
            self.state.status = status

    def stamp(self, fields: dict[str, Any]) -> None:
        self.attempt("stamp_order", stamp_order, self.state.order_id, fields)

    # Steps and the work queue -----------------------------------------------------------

    def attempt(self, name: str, call: Callable[..., Any], *arguments: Any) -> Any:
        """Run a step. A system that is down or throttling is waited out at rest, backing
        off, for `transient_patience_s`: an ERP outage is not an operator's problem. A
        failure that outlasts that, or any other, goes to the work queue; the step runs
        again on retry."""
        state = self.state
        try:
            value = call(*arguments)
        except Exception as error:  # any failure is waited out or parked, never lost
            if transient(error) and state.outage_waited < self.settings.transient_patience_s:
                state.retry_at = time.time() + state.outage_delay
                state.outage_waited += state.outage_delay
                state.outage_delay = min(state.outage_delay * 2, TRANSIENT_LONGEST_WAIT_S)
                raise _Rest(state.retry_at) from None
            state.outage_waited, state.outage_delay = 0.0, TRANSIENT_FIRST_WAIT_S
            self.to_operator(failure_problem(error, name, state.order_id))
        state.outage_waited, state.outage_delay = 0.0, TRANSIENT_FIRST_WAIT_S
        if state.exception_reason == Reason.SYSTEM_FAILURE and state.exception_step == name:
            self.resolve()
        return value

    def open(self, problem: dict[str, Any]) -> None:
        """Open an exception (or open the same one again: the retry met the same cause)."""
        state = self.state
        problem = problem | {
            "crm_order_number": problem.get("crm_order_number") or state.number,
            "erp_document": problem.get("erp_document") or state.sales_order,
        }
        if state.exception_id is not None and state.exception_reason == problem["reason"]:
            reopen_exception(state.exception_id, problem)
        else:
            self.resolve()
            state.opened += 1
            state.exception_id = open_exception(
                self.instance, f"{self.instance}#{state.opened}", problem
            )
            state.exception_reason = problem["reason"]
        state.exception_step = problem.get("step")

    def to_operator(self, problem: dict[str, Any]) -> NoReturn:
        """Put the problem on the work queue and rest until the operator's retry."""
        self.open(problem)
        self.state.with_operator = True
        raise _Rest(None)

    def resolve(self) -> None:
        """Close the open exception, if any: the instance went past it."""
        state = self.state
        if state.exception_id is not None:
            resolve_exception(state.exception_id)
            state.exception_id = state.exception_reason = state.exception_step = None


@resumable(PROCESS, version=VERSION)
def order_to_cash(resume: Resume) -> Rest | Finish:
    """One CRM order from activation to paid (or to cancelled), one wake-up at a time."""
    segment = _Segment(resume)
    try:
        segment.absorb(resume.events)
        segment.advance()
    except _Rest as rest:
        return Rest(asdict(segment.state), rest.wake_at)
    except _End as end:
        return Finish(end.result)
    raise AssertionError("advance always rests or ends")  # pragma: no cover
