"""Field-level system of record: who may change which field of a canonical object.

The CRM owns the customer's name and addresses, the ERP owns credit limit and payment
terms: a change from a system is merged field by field into the golden record, taking only
the fields that system owns (another system's value stands in until the owner has spoken,
so a record created on the other side is complete). Fields nobody owns follow their conflict
policy: the newest change wins, the first value stays, or a contested value waits for an
operator. An older change arriving late never undoes a newer one. A system that changed a
field it does not own is noted, so the owner's value can be written back to it; one that
still holds what it held before has not edited anything, it has only not caught up yet (the
owner's value is on its way to it). Every contested field yields a decision, which the
engine records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from causeway.sync.compare import covers

META_FIELDS = frozenset({"id", "external_ids", "updated_at"})
"""Bookkeeping every canonical object carries; never merged as business data."""

ConflictPolicy = Literal["newest_wins", "first_wins", "review"]
"""For a field nobody owns: the newest change wins, the first value stays, or an operator
decides between the golden value and a differing one from another system."""


class OwnershipPolicy(BaseModel):
    """Owners of the fields of one canonical object, and what to do with the rest."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    owners: dict[str, str] = Field(default_factory=dict, description="field -> owning system")
    default_owner: str | None = Field(None, description="owner of fields not listed")
    unowned: ConflictPolicy = "newest_wins"
    conflicts: dict[str, ConflictPolicy] = Field(
        default_factory=dict, description="field -> policy, overriding `unowned`"
    )
    enforce: bool = Field(True, description="write the owner's value back over foreign edits")

    def owner_of(self, name: str) -> str | None:
        """The system that owns a field, or None if it follows the conflict policy."""
        return self.owners.get(name, self.default_owner)

    def conflict_policy(self, name: str) -> ConflictPolicy:
        """How a contest over an unowned field is settled."""
        return self.conflicts.get(name, self.unowned)


@dataclass(frozen=True)
class Decision:
    """How one contested field was settled, for the decision log."""

    field: str
    system: str
    rule: Literal["owner_wins", "newest_wins", "first_wins", "review", "delete", "merge"]
    outcome: Literal[
        "kept", "taken", "held_for_review", "ignored", "archived", "deleted", "relinked"
    ]
    incoming: Any
    kept: Any


@dataclass
class Merge:
    """The golden record after one change, and what it did."""

    data: dict[str, Any]
    sources: dict[str, list[str]]
    changed: set[str] = field(default_factory=set)
    foreign_edits: set[str] = field(default_factory=set)
    """Fields the source changed without owning them: its copy must be corrected."""
    behind: set[str] = field(default_factory=set)
    """Fields where the source shows a value it was expected to hold (its previous one, or
    one we sent it): a read from before our write reached it, not an edit."""
    stale: set[str] = field(default_factory=set)
    """Fields ignored because a newer change had already set them."""
    review: dict[str, Any] = field(default_factory=dict)
    """Contested values of review-policy fields, held for an operator instead of merged."""
    decisions: list[Decision] = field(default_factory=list)


def merge(
    policy: OwnershipPolicy,
    golden: Mapping[str, Any],
    sources: Mapping[str, list[str]],
    incoming: Mapping[str, Any],
    system: str,
    modified_at: datetime,
    expected: Mapping[str, Sequence[Any]] | None = None,
    sent: Mapping[str, Sequence[Any]] | None = None,
) -> Merge:
    """Merge `incoming` from `system` (changed at `modified_at`) into the golden record.

    `expected` lists per field the values `system` may show without having edited it: what
    it reported last, and what our writes sent it since (they may not have landed yet, or
    their echo may come back after the owner has moved on). Such a value is only "behind"
    when `sent` shows the owner's current value already on its way to `system`; otherwise
    the system must be written, edit or not.
    """
    expected = expected or {}
    sent = sent or {}
    data = dict(golden)
    origin = {name: list(value) for name, value in sources.items()}
    result = Merge(data=data, sources=origin)
    stamp = modified_at.astimezone(UTC).isoformat()
    for name, value in incoming.items():
        if name in META_FIELDS:
            continue
        current = data.get(name)
        owner = policy.owner_of(name)
        source = origin.get(name)
        differs = name in data and value != current
        owner_spoke = source is not None and source[0] == owner
        if owner is not None and owner != system and owner_spoke:
            if (
                value != current
                and any(covers(value, known) for known in expected.get(name, ()))
                and any(covers(current, value_sent) for value_sent in sent.get(name, ()))
            ):
                result.behind.add(name)
            elif value != current:
                result.foreign_edits.add(name)
                result.decisions.append(
                    Decision(name, system, "owner_wins", "kept", value, current)
                )
            continue
        rule = policy.conflict_policy(name)
        contested = owner is None and differs and current is not None
        if contested and rule == "first_wins":
            result.decisions.append(Decision(name, system, "first_wins", "kept", value, current))
            continue
        if contested and rule == "review" and source is not None and source[0] != system:
            # Another system set the golden value: an operator chooses; nothing is merged.
            result.review[name] = value
            result.decisions.append(
                Decision(name, system, "review", "held_for_review", value, current)
            )
            continue
        # The owner replaces a stand-in whatever its age; otherwise an older change arriving
        # late (a retry, a replay, a slow poller) must not undo a newer value.
        replaces_stand_in = owner is not None and owner == system and not owner_spoke
        if source is not None and source[1] > stamp and not replaces_stand_in:
            if value != current:
                result.stale.add(name)
                result.decisions.append(
                    Decision(name, system, "newest_wins", "kept", value, current)
                )
            continue
        if name not in data or value != current:
            if contested and source is not None and source[0] != system:
                result.decisions.append(
                    Decision(name, system, "newest_wins", "taken", value, current)
                )
            data[name] = value
            result.changed.add(name)
        origin[name] = [system, stamp]
    return result


def owned_fields(policy: OwnershipPolicy, system: str, names: set[str]) -> set[str]:
    """Of `names`, the fields `system` may write (owns, or nobody owns)."""
    return {name for name in names if policy.owner_of(name) in (None, system)}
