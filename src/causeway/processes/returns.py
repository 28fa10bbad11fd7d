"""Service to resolution: a CRM Case marked as a return becomes an ERP customer return and
credit memo, and their progress flows back onto the Case.

One durable instance per Case (`returns:<case id>`):

1. check the Case: the account linked to an ERP customer (xref), the order known in the
   ERP and sold to that customer, the product (if one is named) on that order;
2. create the ERP return once, keyed by the case number (a retry finds it instead);
3. stamp ERP_Return_Order__c on the Case;
4. follow the return (signalled by the ERP poller, read anyway every `follow_s`): goods
   received, then the credit memo with its number and amount; the Case is closed.

A return that needs a person (unknown order, more returned than billed, account not linked)
waits with its reason on the Case (Return_Status__c "Needs Attention" and
Return_Status_Detail__c) and on its timeline, checks again when signalled (`causeway returns
retry`) or after `recheck_s`, and carries on once the Case is fixed. Each step shows on the
timeline under the case number, the Case id, the ERP return and the credit memo.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from causeway.connectors.errors import ConnectorError, ErrorClass
from causeway.connectors.s4hana.customer_returns import (
    ReturnLine,
    ReturnRequest,
    material_lines,
)
from causeway.observe.activity import call
from causeway.processes.engine import definition, instance_id, resumable, step, wait_for
from causeway.processes.resumable import Finish, Rest, Resume
from causeway.processes.returns_systems import current

PROCESS = "returns"
RETRY_TOPIC = "retry"
ERP_TOPIC = "erp-changed"
CRM = "salesforce"
ERP = "s4hana"
NEEDS_ATTENTION = "needs attention"


def _problem(field: str, reason: str) -> dict[str, Any]:
    return {"ok": False, "field": field, "reason": reason}


@step()
def check_case(case_id: str) -> dict[str, Any]:
    """Read the Case and everything a return needs; a problem names the Case field."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    with systems.activity.step(PROCESS, key, "check case", system=CRM):
        with call("read Case", system=CRM):
            case = systems.run(lambda: systems.cases.read(case_id))
        systems.activity.remember(PROCESS, key, {"case": case.number, "case_id": case.id})
        if not case.is_return:
            return _problem("Type", f"Case {case.number} is no longer of type Return")
        sold_to = systems.erp_id("customer", case.account_id)
        if sold_to is None:
            return _problem(
                "AccountId",
                f"Case {case.number}: account {case.account_id or '(none)'} is not linked to "
                "an ERP customer",
            )
        order_number = systems.erp_id("sales_order", case.order_id) or case.order_erp_number
        if order_number is None:
            return _problem(
                "Order__c",
                f"Case {case.number}: order {case.order_id or '(none)'} has no ERP sales order",
            )
        with call("read sales order", system=ERP):
            order = systems.run(lambda: systems.erp.order(order_number))
        if order is None:
            return _problem(
                "Order__c", f"Case {case.number}: ERP sales order {order_number} does not exist"
            )
        if order.sold_to != sold_to:
            return _problem(
                "AccountId",
                f"Case {case.number}: ERP sales order {order_number} was sold to "
                f"{order.sold_to}, not to the Case's customer {sold_to}",
            )
        material = None
        if case.product_id is not None:
            material = systems.erp_id("product", case.product_id) or case.product_material
            if material is None:
                return _problem(
                    "Return_Product__c",
                    f"Case {case.number}: product {case.product_id} is not linked to an ERP "
                    "material",
                )
            if case.quantity is None or case.quantity <= 0:
                return _problem(
                    "Return_Quantity__c",
                    f"Case {case.number}: a positive quantity is needed to return {material}",
                )
        lines = material_lines(order, material, case.quantity)
        if not lines:
            return _problem(
                "Return_Product__c",
                f"Case {case.number}: material {material} is not on ERP sales order "
                f"{order_number}",
            )
        return {
            "ok": True,
            "reference": case.number,
            "sold_to": sold_to,
            "order": order_number,
            "reason": case.reason_code,
            "lines": [[line.material, str(line.quantity), line.reference_item] for line in lines],
        }


@step()
def create_return(case_id: str, plan: dict[str, Any]) -> dict[str, Any]:
    """Create the ERP return once per case number; an ERP refusal becomes a problem."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    request = ReturnRequest(
        reference=str(plan["reference"]),
        sold_to=str(plan["sold_to"]),
        reference_document=str(plan["order"]),
        lines=tuple(ReturnLine(m, Decimal(q), item) for m, q, item in plan["lines"]),
        reason=plan.get("reason"),
    )
    with systems.activity.step(PROCESS, key, "create ERP return", system=ERP):
        try:
            with call("create customer return", system=ERP):
                outcome = systems.run(lambda: systems.erp.create(request))
        except ConnectorError as error:
            if error.error_class is not ErrorClass.INVALID:
                raise
            field = {"RequestedQuantity": "Return_Quantity__c", "Material": "Return_Product__c",
                     "SoldToParty": "AccountId"}.get(error.field or "", "Order__c")
            return _problem(field, f"Case {request.reference}: the ERP refused the return: "
                            f"{error.message}")
    systems.activity.remember(PROCESS, key, {"erp_return": outcome.number})
    return {"ok": True, "number": outcome.number, "created": outcome.created}


def _update_case(case_id: str, name: str, fields: dict[str, Any]) -> None:
    """One timeline step that writes `fields` onto the Case."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    with (
        systems.activity.step(PROCESS, key, name, system=CRM),
        call("update Case", system=CRM),
    ):
        systems.run(lambda: systems.cases.stamp(case_id, fields))


@step()
def park(case_id: str, field: str, reason: str) -> None:
    """Show why the return waits: on the Case and as a milestone on its timeline."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    systems.activity.milestone(PROCESS, key, NEEDS_ATTENTION, "waiting", system=CRM,
                               detail=f"{field}: {reason}")
    _update_case(case_id, "mark Case needs attention", {
        "Return_Status__c": "Needs Attention",
        "Return_Status_Detail__c": f"{field}: {reason}",
    })


@step()
def stamp_created(case_id: str, number: str) -> None:
    """Put the ERP return's number on the Case."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    _update_case(case_id, "stamp ERP return on Case", {
        "ERP_Return_Order__c": number,
        "Return_Status__c": "Return Order Created",
        "Return_Status_Detail__c": f"ERP customer return {number}",
    })
    systems.activity.milestone(PROCESS, key, "ERP return created", "done", system=ERP,
                               detail=number)


@step()
def read_return(case_id: str, number: str) -> dict[str, Any]:
    """Where the ERP return stands: received, credited, and its credit memo."""
    systems = current()
    with systems.activity.step(PROCESS, instance_id(PROCESS, case_id), "read ERP return",
                               system=ERP), call("read customer return", system=ERP):
        state = systems.run(lambda: systems.erp.state(number))
    memo = state.credit_memos[-1] if state.credit_memos else None
    return {
        "received": state.received,
        "credited": state.credited,
        "memo": memo.number if memo else None,
        "amount": str(sum((m.net_amount for m in state.credit_memos), Decimal(0))),
        "currency": memo.currency if memo else state.currency,
    }


@step()
def note_received(case_id: str, number: str) -> None:
    """The returned goods arrived: say so on the Case."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    _update_case(case_id, "mark Case goods received", {
        "Return_Status__c": "Goods Received",
        "Return_Status_Detail__c": f"ERP customer return {number}: goods received",
    })
    systems.activity.milestone(PROCESS, key, "goods received", "done", system=ERP, detail=number)


@step()
def note_credited(case_id: str, number: str, state: dict[str, Any]) -> None:
    """The credit memo exists: its number and amount go onto the Case, which is closed."""
    systems = current()
    key = instance_id(PROCESS, case_id)
    systems.activity.remember(PROCESS, key, {"credit_memo": state["memo"]})
    fields: dict[str, Any] = {
        "Return_Status__c": "Credited",
        "Return_Status_Detail__c": f"ERP customer return {number}: credit memo {state['memo']} "
        f"over {state['amount']} {state['currency']}",
        "Credit_Memo__c": state["memo"],
        "Credit_Amount__c": float(Decimal(state["amount"])),
    }
    if systems.settings.close_case:
        fields["Status"] = "Closed"
    _update_case(case_id, "mark Case credited", fields)
    systems.activity.milestone(PROCESS, key, "credited", "done", system=ERP,
                               detail=f"{state['memo']} {state['amount']} {state['currency']}")


def _attempt(case_id: str) -> dict[str, Any]:
    """Check and create; an ERP that stays unreachable past the step's retries waits too."""
    try:
        plan = check_case(case_id)
        if not plan["ok"]:
            return plan
        return create_return(case_id, plan)
    except Exception as error:
        cause = _connector_cause(error)
        if cause is None:
            raise
        transient = cause.error_class in (ErrorClass.RETRYABLE, ErrorClass.THROTTLED)
        what = "unavailable" if transient else f"refused ({cause.error_class})"
        return _problem(cause.field or "ERP", f"{cause.system} {what}: {cause.message}")


def _connector_cause(error: BaseException) -> ConnectorError | None:
    """The connector failure behind a step's error (after its retries ran out, the engine
    reports every attempt's error)."""
    if isinstance(error, ConnectorError):
        return error
    attempts = getattr(error, "errors", None)
    if isinstance(attempts, list) and attempts and isinstance(attempts[-1], ConnectorError):
        return attempts[-1]
    return None


def _credited(number: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"return": number, "credit_memo": state["memo"], "amount": state["amount"],
            "currency": state["currency"]}


@definition(PROCESS, version=1)
def returns_v1(case_id: str) -> dict[str, Any]:
    """The return of one Case, from request to credit memo (waiting inside the engine; kept
    so instances started on it finish on it)."""
    settings = current().settings
    while True:
        outcome = _attempt(case_id)
        if outcome["ok"]:
            break
        park(case_id, str(outcome["field"]), str(outcome["reason"]))
        wait_for(RETRY_TOPIC, settings.recheck_s)
    number = str(outcome["number"])
    stamp_created(case_id, number)
    received = False
    while True:
        state = read_return(case_id, number)
        if state["received"] and not received:
            note_received(case_id, number)
            received = True
        if state["credited"]:
            note_credited(case_id, number, state)
            return _credited(number, state)
        wait_for(ERP_TOPIC, settings.follow_s)


@resumable(PROCESS, version=2)
def returns_v2(resume: Resume) -> Rest | Finish:
    """The return of one Case, from request to credit memo, resting between checks: woken
    by the ERP poller's signal, an operator's retry, or every `recheck_s` / `follow_s`."""
    case_id = resume.key
    settings = current().settings
    kept: dict[str, Any] = resume.state or {"number": None, "received": False}
    if kept["number"] is None:
        outcome = _attempt(case_id)
        if not outcome["ok"]:
            park(case_id, str(outcome["field"]), str(outcome["reason"]))
            return Rest(kept, time.time() + settings.recheck_s)
        kept["number"] = str(outcome["number"])
        stamp_created(case_id, str(outcome["number"]))
    number = str(kept["number"])
    state = read_return(case_id, number)
    if state["received"] and not kept["received"]:
        note_received(case_id, number)
        kept["received"] = True
    if state["credited"]:
        note_credited(case_id, number, state)
        return Finish(_credited(number, state))
    return Rest(kept, time.time() + settings.follow_s)
