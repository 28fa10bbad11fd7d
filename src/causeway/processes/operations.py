"""What operators do to order-to-cash instances from outside their host: retry a parked
instance, retry every one parked for a reason, cancel an order.

The work queue row changes first (open -> retrying), then the waiting instance is signalled
by its key; the signal carries an idempotency key per attempt, so a command repeated after a
time-out does not retry twice.
"""

from __future__ import annotations

from causeway.processes.engine import send_from_outside
from causeway.processes.order_steps import PROCESS
from causeway.processes.order_to_cash import TOPIC
from causeway.processes.work_queue import ProcessException, Status, WorkQueue, WorkQueueError


def _key(exception: ProcessException) -> str:
    prefix = f"{PROCESS}:"
    if exception.process != PROCESS or not exception.instance_id.startswith(prefix):
        raise WorkQueueError(
            f"exception {exception.id} belongs to {exception.instance_id}, not to {PROCESS}"
        )
    return exception.instance_id.removeprefix(prefix)


def retry_exception(queue: WorkQueue, database_url: str, exception_id: int) -> ProcessException:
    """Mark the exception retrying and signal its instance to resume where it stopped."""
    exception = queue.mark_retrying(exception_id)
    try:
        send_from_outside(
            database_url, PROCESS, _key(exception), TOPIC,
            {"kind": "retry", "exception": exception.id},
            idempotency_key=f"retry:{exception.id}:{exception.attempts}",
        )
    except Exception:
        queue.unmark_retrying(exception.id)  # still open: the operator can try again
        raise
    return exception


def retry_reason(queue: WorkQueue, database_url: str, reason: str) -> list[ProcessException]:
    """Retry every open exception of one reason (after, say, credit limits were raised)."""
    return [
        retry_exception(queue, database_url, exception.id)
        for exception in queue.find(status=Status.OPEN.value, reason=reason)
    ]


def cancel_order(database_url: str, order_id: str) -> None:
    """Ask the instance of a CRM order to cancel: before delivery the ERP order is deleted."""
    send_from_outside(
        database_url, PROCESS, order_id, TOPIC, {"kind": "cancel"},
        idempotency_key=f"cancel:{order_id}",
    )
