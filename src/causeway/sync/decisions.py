"""The decision log and the field review queue: why a contested field holds the value it holds.

Every contest the merge settles (an owner overruling a foreign edit, a late change losing to
a newer one, a first value kept, a value held for an operator) is written down in the same
transaction as the golden record, so "why did the ERP's phone number not win?" has an answer.
Values held for review wait in `field_review` until an operator accepts or rejects them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update

from causeway.store.tables.sync import field_review, sync_decision
from causeway.sync.ownership import Decision


@dataclass(frozen=True)
class FieldReview:
    """A contested value waiting for an operator."""

    id: int
    entity: str
    canonical_id: str
    field: str
    system: str
    proposed: Any
    current: Any
    status: str


@dataclass(frozen=True)
class LoggedDecision:
    """One entry of the decision log."""

    entity: str
    canonical_id: str
    field: str
    system: str
    rule: str
    outcome: str
    incoming: Any
    kept: Any
    decided_at: datetime


class DecisionLog:
    """Writes and reads decisions and field reviews on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def record(self, entity: str, canonical_id: str, decisions: Iterable[Decision]) -> None:
        """Append the decisions one merge took; held values also open (or refresh) a review."""
        now = datetime.now(UTC)
        rows = []
        for decision in decisions:
            rows.append(
                {
                    "entity": entity,
                    "canonical_id": canonical_id,
                    "field": decision.field,
                    "system": decision.system,
                    "rule": decision.rule,
                    "outcome": decision.outcome,
                    "incoming": decision.incoming,
                    "kept": decision.kept,
                    "decided_at": now,
                }
            )
            if decision.outcome == "held_for_review":
                self._hold(entity, canonical_id, decision, now)
        if rows:
            self.connection.execute(sync_decision.insert(), rows)

    def _hold(self, entity: str, canonical_id: str, decision: Decision, now: datetime) -> None:
        key = and_(
            field_review.c.entity == entity,
            field_review.c.canonical_id == canonical_id,
            field_review.c.field == decision.field,
            field_review.c.system == decision.system,
            field_review.c.status == "open",
        )
        # One open review per field and system: a newer proposal replaces the older one.
        refreshed = self.connection.execute(
            update(field_review)
            .where(key)
            .values(proposed=decision.incoming, current=decision.kept, created_at=now)
        )
        if refreshed.rowcount == 0:
            self.connection.execute(
                field_review.insert().values(
                    entity=entity,
                    canonical_id=canonical_id,
                    field=decision.field,
                    system=decision.system,
                    proposed=decision.incoming,
                    current=decision.kept,
                    status="open",
                    created_at=now,
                )
            )

    def history(self, entity: str, canonical_id: str) -> list[LoggedDecision]:
        """Every decision taken for one object, oldest first."""
        rows = self.connection.execute(
            select(sync_decision)
            .where(
                and_(
                    sync_decision.c.entity == entity,
                    sync_decision.c.canonical_id == canonical_id,
                )
            )
            .order_by(sync_decision.c.id)
        ).mappings()
        return [
            LoggedDecision(
                entity=row["entity"],
                canonical_id=row["canonical_id"],
                field=row["field"],
                system=row["system"],
                rule=row["rule"],
                outcome=row["outcome"],
                incoming=row["incoming"],
                kept=row["kept"],
                decided_at=row["decided_at"],
            )
            for row in rows
        ]

    def reviews(self, entity: str | None = None, status: str = "open") -> list[FieldReview]:
        """Field reviews in a state, oldest first."""
        query = select(field_review).where(field_review.c.status == status)
        if entity is not None:
            query = query.where(field_review.c.entity == entity)
        rows = self.connection.execute(query.order_by(field_review.c.id)).mappings()
        return [_review(row) for row in rows]

    def review(self, review_id: int) -> FieldReview:
        """One review by id, or a clear error."""
        row = (
            self.connection.execute(select(field_review).where(field_review.c.id == review_id))
            .mappings()
            .first()
        )
        if row is None:
            raise LookupError(f"no field review {review_id}")
        return _review(row)

    def close(self, review_id: int, accepted: bool) -> FieldReview:
        """Mark an open review accepted or rejected; the caller applies the consequence."""
        review = self.review(review_id)
        if review.status != "open":
            raise LookupError(f"field review {review_id} is already {review.status}")
        now = datetime.now(UTC)
        self.connection.execute(
            update(field_review)
            .where(field_review.c.id == review_id)
            .values(status="accepted" if accepted else "rejected", decided_at=now)
        )
        self.connection.execute(
            sync_decision.insert().values(
                entity=review.entity,
                canonical_id=review.canonical_id,
                field=review.field,
                system=review.system,
                rule="review",
                outcome="accepted" if accepted else "rejected",
                incoming=review.proposed,
                kept=review.proposed if accepted else review.current,
                decided_at=now,
            )
        )
        return review


def _review(row: Any) -> FieldReview:
    return FieldReview(
        id=int(row["id"]),
        entity=str(row["entity"]),
        canonical_id=str(row["canonical_id"]),
        field=str(row["field"]),
        system=str(row["system"]),
        proposed=row["proposed"],
        current=row["current"],
        status=str(row["status"]),
    )
