"""Candidate pairs an operator must confirm before their records may sync.

A pair that scored between the review and accept thresholds is neither linked nor left to
create a duplicate: both records wait, parked, until someone accepts or rejects the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from causeway.store.tables.sync import match_review
from causeway.sync.matching import Match
from causeway.sync.xref import Xref


class MatchReviewPendingError(Exception):
    """The record is one side of a candidate pair nobody has decided on yet."""

    def __init__(self, entity: str, system: str, system_id: str, review_id: int) -> None:
        self.entity, self.system, self.system_id, self.review_id = (
            entity,
            system,
            system_id,
            review_id,
        )
        super().__init__(
            f"{entity} {system} {system_id} waits for match review {review_id}: accept or "
            "reject the pair, then replay"
        )


# Built once: every new record asks it.
_PENDING_FOR = select(match_review.c.id).where(
    match_review.c.entity == bindparam("w_entity"),
    match_review.c.status == "open",
    or_(
        and_(
            match_review.c.left_system == bindparam("w_system"),
            match_review.c.left_id == bindparam("w_system_id"),
        ),
        and_(
            match_review.c.right_system == bindparam("w_system"),
            match_review.c.right_id == bindparam("w_system_id"),
        ),
    ),
)


@dataclass(frozen=True)
class Review:
    """One open candidate pair."""

    id: int
    entity: str
    left_system: str
    left_id: str
    right_system: str
    right_id: str
    score: float
    reasons: list[str]


class MatchReviews:
    """Stores candidate pairs and the operator's decisions, on the caller's connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def propose(self, entity: str, left_system: str, right_system: str, pair: Match) -> None:
        """Queue a pair for review, once."""
        if self._find(entity, left_system, pair.left, right_system, pair.right) is not None:
            return
        self.connection.execute(
            match_review.insert().values(
                entity=entity,
                left_system=left_system,
                left_id=pair.left,
                right_system=right_system,
                right_id=pair.right,
                score=f"{pair.score:.1f}",
                reasons=list(pair.reasons),
                status="open",
                created_at=datetime.now(UTC),
            )
        )

    def _find(
        self, entity: str, left_system: str, left_id: str, right_system: str, right_id: str
    ) -> int | None:
        row = self.connection.execute(
            select(match_review.c.id).where(
                and_(
                    match_review.c.entity == entity,
                    match_review.c.left_system == left_system,
                    match_review.c.left_id == left_id,
                    match_review.c.right_system == right_system,
                    match_review.c.right_id == right_id,
                )
            )
        ).first()
        return int(row[0]) if row else None

    def pending_for(self, entity: str, system: str, system_id: str) -> int | None:
        """The open review a record takes part in, if any."""
        row = self.connection.execute(
            _PENDING_FOR, {"w_entity": entity, "w_system": system, "w_system_id": system_id}
        ).first()
        return int(row[0]) if row else None

    def open(self, entity: str | None = None) -> list[Review]:
        """Open reviews, oldest first."""
        query = select(match_review).where(match_review.c.status == "open")
        if entity is not None:
            query = query.where(match_review.c.entity == entity)
        rows = self.connection.execute(query.order_by(match_review.c.id)).mappings()
        return [
            Review(
                id=int(row["id"]),
                entity=str(row["entity"]),
                left_system=str(row["left_system"]),
                left_id=str(row["left_id"]),
                right_system=str(row["right_system"]),
                right_id=str(row["right_id"]),
                score=float(row["score"]),
                reasons=list(row["reasons"]),
            )
            for row in rows
        ]

    def decide(self, review_id: int, accept: bool) -> None:
        """Accept (link both records as one) or reject (they are different companies)."""
        row = (
            self.connection.execute(select(match_review).where(match_review.c.id == review_id))
            .mappings()
            .first()
        )
        if row is None or row["status"] != "open":
            raise LookupError(f"no open match review {review_id}")
        if accept:
            xref = Xref(self.connection)
            canonical_id, _ = xref.ensure(row["entity"], row["left_system"], row["left_id"])
            xref.link(
                row["entity"], canonical_id, row["right_system"], row["right_id"], by="review"
            )
        self.connection.execute(
            update(match_review)
            .where(match_review.c.id == review_id)
            .values(status="accepted" if accept else "rejected")
        )
