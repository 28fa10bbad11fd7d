"""How a mapping asks the cross-reference store for another system's id of an entity.

The sync layer owns the store; a mapping only needs this one question answered. Causeway's
own (canonical) ids are addressed as the system named CANONICAL_SYSTEM.
"""

from __future__ import annotations

from typing import Final, Protocol

CANONICAL_SYSTEM: Final = "causeway"
"""System name under which the cross-reference keeps Causeway's canonical ids."""


class XrefLookup(Protocol):
    """Answers: which id does `entity` `from_id` in `from_system` have in `to_system`?"""

    def resolve(self, entity: str, from_system: str, from_id: str, to_system: str) -> str | None:
        """The id in `to_system`, or None when the entity is not linked there (yet)."""
        ...


class MemoryXref:
    """A cross-reference held in a dict, for dry runs, benchmarks and tests; links both ways."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str, str], str] = {}

    def link(self, entity: str, system_a: str, id_a: str, system_b: str, id_b: str) -> None:
        """Record that `id_a` in `system_a` and `id_b` in `system_b` are the same entity."""
        self._ids[(entity, system_a, id_a, system_b)] = id_b
        self._ids[(entity, system_b, id_b, system_a)] = id_a

    def resolve(self, entity: str, from_system: str, from_id: str, to_system: str) -> str | None:
        """The linked id, or None."""
        return self._ids.get((entity, from_system, from_id, to_system))
