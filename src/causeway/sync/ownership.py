"""Field-level system of record: who may change which field of a canonical object.

The CRM owns the customer's name and addresses, the ERP owns credit limit and payment
terms: a change from a system is merged field by field into the golden record, taking only
the fields that system owns (another system's value stands in until the owner has spoken,
so a record created on the other side is complete). Fields nobody owns follow the conflict
policy (the newest change wins). An older change arriving late never undoes a newer one. A
system that changed a field it does not own is noted, so the owner's value can be written
back to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

META_FIELDS = frozenset({"id", "external_ids", "updated_at"})
"""Bookkeeping every canonical object carries; never merged as business data."""


class OwnershipPolicy(BaseModel):
    """Owners of the fields of one canonical object, and what to do with the rest."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    owners: dict[str, str] = Field(default_factory=dict, description="field -> owning system")
    default_owner: str | None = Field(None, description="owner of fields not listed")
    unowned: Literal["newest_wins", "first_wins"] = "newest_wins"
    enforce: bool = Field(True, description="write the owner's value back over foreign edits")

    def owner_of(self, name: str) -> str | None:
        """The system that owns a field, or None if it follows the conflict policy."""
        return self.owners.get(name, self.default_owner)


@dataclass
class Merge:
    """The golden record after one change, and what it did."""

    data: dict[str, Any]
    sources: dict[str, list[str]]
    changed: set[str] = field(default_factory=set)
    foreign_edits: set[str] = field(default_factory=set)
    """Fields the source changed without owning them: its copy must be corrected."""
    stale: set[str] = field(default_factory=set)
    """Fields ignored because a newer change had already set them."""


def merge(
    policy: OwnershipPolicy,
    golden: Mapping[str, Any],
    sources: Mapping[str, list[str]],
    incoming: Mapping[str, Any],
    system: str,
    modified_at: datetime,
) -> Merge:
    """Merge `incoming` from `system` (changed at `modified_at`) into the golden record."""
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
        owner_spoke = source is not None and source[0] == owner
        if owner is not None and owner != system and owner_spoke:
            if value != current:
                result.foreign_edits.add(name)
            continue
        if owner is None and policy.unowned == "first_wins" and current is not None:
            continue
        # The owner replaces a stand-in whatever its age; otherwise an older change arriving
        # late (a retry, a replay, a slow poller) must not undo a newer value.
        replaces_stand_in = owner is not None and owner == system and not owner_spoke
        if source is not None and source[1] > stamp and not replaces_stand_in:
            if value != current:
                result.stale.add(name)
            continue
        if name not in data or value != current:
            data[name] = value
            result.changed.add(name)
        origin[name] = [system, stamp]
    return result


def owned_fields(policy: OwnershipPolicy, system: str, names: set[str]) -> set[str]:
    """Of `names`, the fields `system` may write (owns, or nobody owns)."""
    return {name for name in names if policy.owner_of(name) in (None, system)}
