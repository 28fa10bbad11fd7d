"""The operators' work queue: process exceptions with their reason and business keys.

An instance that cannot go on (credit block, unknown product, price mismatch, the ERP
refusing the order) opens an exception and waits. An operator fixes the cause in the system
that holds it, then retries; the retry reaches the waiting instance, which resumes at the step
that stopped. If the cause is still there, the same row opens again with one attempt more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from causeway.store.tables.processes import process_exception


class Reason(StrEnum):
    """Why an instance stopped; operators filter and retry by it."""

    CREDIT_BLOCK = "credit_block"
    UNKNOWN_PRODUCT = "unknown_product"
    PRICE_MISMATCH = "price_mismatch"
    ERP_VALIDATION = "erp_validation"
    CUSTOMER_MISSING = "customer_missing"
    INVALID_ORDER = "invalid_order"
    CANCEL_REFUSED = "cancel_refused"
    SYSTEM_FAILURE = "system_failure"


class Status(StrEnum):
    """Where an exception stands."""

    OPEN = "open"
    RETRYING = "retrying"
    RESOLVED = "resolved"


class WorkQueueError(Exception):
    """An operator asked for something the queue cannot do (unknown id, not open)."""


@dataclass(frozen=True)
class ProcessException:
    """One row of the work queue."""

    id: int
    process: str
    instance_id: str
    step: str
    reason: str
    message: str
    crm_order_id: str | None
    crm_order_number: str | None
    erp_document: str | None
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Problem:
    """What an instance reports when it opens an exception."""

    step: str
    reason: Reason
    message: str
    crm_order_id: str | None = None
    crm_order_number: str | None = None
    erp_document: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _row(row: object) -> ProcessException:
    values = row._mapping  # type: ignore[attr-defined]
    return ProcessException(**{name: values[name] for name in ProcessException.__annotations__})


class WorkQueue:
    """Reads and writes process exceptions."""

    def __init__(self, database: Engine) -> None:
        self.database = database

    def open(self, process: str, instance_id: str, token: str, problem: Problem) -> int:
        """Open an exception once per `token`; a repeated call answers the same row's id."""
        now = _now()
        try:
            with self.database.begin() as connection:
                result = connection.execute(process_exception.insert().values(
                    token=token, process=process, instance_id=instance_id, step=problem.step,
                    reason=problem.reason.value, message=problem.message[:4000],
                    crm_order_id=problem.crm_order_id, crm_order_number=problem.crm_order_number,
                    erp_document=problem.erp_document, status=Status.OPEN.value, attempts=1,
                    created_at=now, updated_at=now,
                ))
                key = result.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:
            with self.database.connect() as connection:
                found = connection.execute(
                    select(process_exception.c.id).where(process_exception.c.token == token)
                ).scalar_one()
            return int(found)

    def reopen(self, exception_id: int, problem: Problem) -> None:
        """The retry met the same cause: open again, one attempt more, with the new message."""
        with self.database.begin() as connection:
            connection.execute(
                update(process_exception)
                .where(process_exception.c.id == exception_id)
                .values(
                    status=Status.OPEN.value, message=problem.message[:4000],
                    erp_document=problem.erp_document, step=problem.step,
                    attempts=process_exception.c.attempts + 1, updated_at=_now(),
                )
            )

    def resolve(self, exception_id: int) -> None:
        """The instance went past the step that stopped it."""
        now = _now()
        with self.database.begin() as connection:
            connection.execute(
                update(process_exception)
                .where(process_exception.c.id == exception_id)
                .values(status=Status.RESOLVED.value, updated_at=now, resolved_at=now)
            )

    def mark_retrying(self, exception_id: int) -> ProcessException:
        """An operator asked for a retry; only an open exception can be retried."""
        current = self.get(exception_id)
        if current.status != Status.OPEN:
            raise WorkQueueError(
                f"exception {exception_id} is {current.status}, only open ones can be retried"
            )
        with self.database.begin() as connection:
            connection.execute(
                update(process_exception)
                .where(and_(process_exception.c.id == exception_id,
                            process_exception.c.status == Status.OPEN.value))
                .values(status=Status.RETRYING.value, updated_at=_now())
            )
        return self.get(exception_id)

    def unmark_retrying(self, exception_id: int) -> None:
        """The retry could not be delivered: the exception is open again, as it was."""
        with self.database.begin() as connection:
            connection.execute(
                update(process_exception)
                .where(and_(process_exception.c.id == exception_id,
                            process_exception.c.status == Status.RETRYING.value))
                .values(status=Status.OPEN.value, updated_at=_now())
            )

    def get(self, exception_id: int) -> ProcessException:
        """One exception, or a clear error."""
        with self.database.connect() as connection:
            row = connection.execute(
                select(process_exception).where(process_exception.c.id == exception_id)
            ).first()
        if row is None:
            raise WorkQueueError(f"no process exception {exception_id}")
        return _row(row)

    def find(
        self,
        *,
        status: str | None = None,
        reason: str | None = None,
        instance_id: str | None = None,
        limit: int = 500,
    ) -> list[ProcessException]:
        """Exceptions, oldest first, filtered by status, reason and instance."""
        query = select(process_exception).order_by(process_exception.c.id).limit(limit)
        if status is not None:
            query = query.where(process_exception.c.status == status)
        if reason is not None:
            query = query.where(process_exception.c.reason == reason)
        if instance_id is not None:
            query = query.where(process_exception.c.instance_id == instance_id)
        with self.database.connect() as connection:
            return [_row(row) for row in connection.execute(query)]
