"""The backbone contract: durable topics with per-partition order, leases and dead letters.

Every backend (SQL today; brokers later) offers these operations with the same semantics,
which the shared behaviour suite in tests/integration/runtime checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Park, Retry


@dataclass(frozen=True, slots=True)
class Release:
    """Give the envelope back untouched (shutdown, paused flow): the attempt does not count."""


Settlement = Done | Retry | Park | Release
"""What happens to one claimed envelope; a Retry's delay is final here, not a floor."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased batch: at most one envelope per partition, each the oldest pending one."""

    topic: str
    group: str
    token: str
    expires_at: datetime
    envelopes: tuple[Envelope, ...]
    offsets: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.envelopes)


@dataclass(frozen=True, slots=True)
class SettleReport:
    """What a settle call applied; `lost` lists envelopes whose lease had passed to another."""

    acked: int = 0
    retried: int = 0
    parked: int = 0
    released: int = 0
    lost: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed delivery of an envelope to a group: retried after `delay_seconds`, or
    parked (the last one of a dead letter)."""

    attempt: int
    at: datetime
    outcome: str
    error_class: str
    error: str
    delay_seconds: float | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A parked envelope with why it failed and an editable copy of its payload."""

    id: int
    topic: str
    group: str
    offset: int
    envelope_id: str
    partition_key: str
    status: str
    reason: str
    error_class: str
    record: str | None
    field: str | None
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    replayed_as: str | None
    history: tuple[Attempt, ...] = ()
    """Every failed attempt, oldest first (filled when one letter is read)."""


DEAD_LETTER_STATUSES = ("parked", "replayed", "discarded")


@dataclass(frozen=True, slots=True)
class DeadLetterQuery:
    """Which dead letters an operator means: every field narrows, None leaves it open.

    `system` and `object_name` match what the parked envelope's payload says it concerns
    (changes and commands both carry `system` and `object_name`); `since` and `until` bound
    when it was parked (`last_seen`). Results come oldest first; `after_id` pages on.
    """

    topic: str | None = None
    group: str | None = None
    status: str = "parked"
    system: str | None = None
    object_name: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_id: int = 0
    limit: int = 100

    def narrows(self) -> bool:
        """True when some field besides status, paging and limit restricts the result."""
        return any(
            value is not None
            for value in (
                self.topic,
                self.group,
                self.system,
                self.object_name,
                self.error_class,
                self.since,
                self.until,
            )
        )


@dataclass(frozen=True, slots=True)
class TopicStats:
    """Depth and lag of one topic for one consumer group."""

    topic: str
    group: str
    ready: int
    in_flight: int
    scheduled: int
    parked: int
    done: int
    lag_seconds: float
    paused: bool
    pause_reason: str | None
    dead_letters: int = 0
    """Dead letters still parked (waiting for an operator); `parked` counts every envelope
    ever parked, replayed ones included."""


class Backbone(Protocol):
    """Durable topics with consumer groups, per-partition ordering, leases and dead letters."""

    def subscribe(self, topic: str, group: str, *, from_start: bool = False) -> None:
        """Create the group's subscription; envelopes published from now on reach it."""

    def publish(
        self, topic: str, envelopes: Sequence[Envelope], *, connection: Connection | None = None
    ) -> list[str]:
        """Store envelopes, ignoring idempotency keys already on the topic; returns new ids.

        With `connection`, the rows join the caller's transaction (outbox): they exist only if
        the caller commits.
        """

    def claim(
        self, topic: str, group: str, *, max_batch: int, lease_seconds: float
    ) -> Claim:
        """Lease up to `max_batch` partition heads that are due; empty when paused or idle."""

    def renew(self, claim: Claim, lease_seconds: float) -> int:
        """Extend the lease of a batch still being handled; returns how many were renewed."""

    def settle(self, claim: Claim, settlements: Mapping[str, Settlement]) -> SettleReport:
        """Apply one settlement per envelope id of the claim in one transaction."""

    def pause(self, topic: str, group: str, reason: str) -> None:
        """Stop deliveries to the group until `resume` (a fatal failure needs a person)."""

    def resume(self, topic: str, group: str) -> None:
        """Let a paused group receive deliveries again."""

    def slow(self, topic: str, group: str, until: datetime) -> None:
        """Hold all claims of the group until `until` (the target asked us to back off)."""

    def dead_letters(
        self, *, topic: str | None = None, group: str | None = None, status: str = "parked",
        limit: int = 100,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first."""

    def find_dead_letters(self, query: DeadLetterQuery) -> list[DeadLetter]:
        """Dead letters matching `query`, oldest first."""

    def dead_letter(self, dead_letter_id: int) -> DeadLetter:
        """One dead letter by id."""

    def edit_dead_letter(self, dead_letter_id: int, payload: Mapping[str, Any]) -> DeadLetter:
        """Replace the payload a replay will deliver."""

    def replay_dead_letter(self, dead_letter_id: int) -> str:
        """Put the (edited) envelope back at the tail of its partition; returns the new id."""

    def discard_dead_letter(self, dead_letter_id: int) -> None:
        """Close a dead letter without replaying it."""

    def replay(
        self, topic: str, group: str, *, from_offset: int | None = None,
        since: datetime | None = None, until_offset: int | None = None,
    ) -> int:
        """Deliver a range of the topic's log to the group again; returns how many."""

    def stats(self, topic: str | None = None) -> list[TopicStats]:
        """Depth and lag per topic and consumer group."""
