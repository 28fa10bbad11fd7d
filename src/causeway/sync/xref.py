"""The cross-reference store: which record in each system is which canonical object.

Links are rows with two uniqueness rules enforced by the database (one canonical object per
system record, one system record per canonical object), so concurrent workers or a retried
batch cannot create a second identity for the same customer.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from causeway.store.tables.sync import xref

# Built once: every change asks these, and building a statement cost more than running it.
_CANONICAL = select(xref.c.canonical_id).where(
    xref.c.entity == bindparam("w_entity"),
    xref.c.system == bindparam("w_system"),
    xref.c.system_id == bindparam("w_system_id"),
)
_LINKS = select(xref.c.system, xref.c.system_id).where(
    xref.c.entity == bindparam("w_entity"), xref.c.canonical_id == bindparam("w_canonical_id")
)
_LINK = xref.insert()

CAUSEWAY = "causeway"
"""The pseudo-system whose ids are canonical ids, for lookups from or to Causeway itself."""


class XrefConflictError(Exception):
    """A link would give a record a second identity; carries both sides for an operator."""

    def __init__(self, entity: str, system: str, system_id: str, existing: str, wanted: str):
        self.entity, self.system, self.system_id = entity, system, system_id
        self.existing, self.wanted = existing, wanted
        super().__init__(
            f"{entity} {system} {system_id} is already linked to {existing}, not {wanted}"
        )


def new_canonical_id() -> str:
    """A fresh canonical id."""
    return str(uuid.uuid4())


def short_reference(canonical_id: str) -> str:
    """A 20-character upper-case reference derived from a canonical id, for narrow ERP fields.

    Deterministic, so a retried create searches for and finds the same reference.
    """
    raw = uuid.UUID(canonical_id).bytes
    return base64.b32encode(raw).decode("ascii").rstrip("=")[:20]


class Xref:
    """Reads and writes links on the caller's connection, inside the caller's transaction.

    An instance remembers what it read and wrote, so one change asking the same question
    several times (identity, links for planning, lookups in mappings) pays for one query;
    make a new instance for each transaction.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._canonical: dict[tuple[str, str, str], str | None] = {}
        self._links: dict[tuple[str, str], dict[str, str]] = {}

    def canonical_id(self, entity: str, system: str, system_id: str) -> str | None:
        """The canonical id of a system record, if linked."""
        if system == CAUSEWAY:
            return system_id
        key = (entity, system, system_id)
        if key not in self._canonical:
            self._canonical[key] = self._read_canonical_id(entity, system, system_id)
        return self._canonical[key]

    def _read_canonical_id(self, entity: str, system: str, system_id: str) -> str | None:
        row = self.connection.execute(
            _CANONICAL, {"w_entity": entity, "w_system": system, "w_system_id": system_id}
        ).first()
        return str(row[0]) if row else None

    def system_id(self, entity: str, canonical_id: str, system: str) -> str | None:
        """The record id in `system` of a canonical object, if linked."""
        if system == CAUSEWAY:
            return canonical_id
        return self._linked(entity, canonical_id).get(system)

    def links(self, entity: str, canonical_id: str) -> dict[str, str]:
        """Every system id of a canonical object, by system."""
        return dict(self._linked(entity, canonical_id))

    def _linked(self, entity: str, canonical_id: str) -> dict[str, str]:
        key = (entity, canonical_id)
        if key not in self._links:
            rows = self.connection.execute(
                _LINKS, {"w_entity": entity, "w_canonical_id": canonical_id}
            )
            self._links[key] = {str(system): str(system_id) for system, system_id in rows}
        return self._links[key]

    def _forget(self) -> None:
        """Drop what this instance remembers (after a write it cannot account for)."""
        self._canonical.clear()
        self._links.clear()

    def resolve(self, entity: str, from_system: str, from_id: str, to_system: str) -> str | None:
        """System-to-system lookup, for mappings (order customer -> ERP business partner)."""
        canonical = self.canonical_id(entity, from_system, from_id)
        if canonical is None:
            return None
        return self.system_id(entity, canonical, to_system)

    def link(
        self, entity: str, canonical_id: str, system: str, system_id: str, by: str = "sync"
    ) -> None:
        """Record that `system_id` in `system` is `canonical_id`; linking twice is a no-op."""
        existing = self.canonical_id(entity, system, system_id)
        if existing == canonical_id:
            return
        if existing is not None:
            raise XrefConflictError(entity, system, system_id, existing, canonical_id)
        other = self.system_id(entity, canonical_id, system)
        if other is not None and other != system_id:
            raise XrefConflictError(entity, system, other, canonical_id, f"{system_id} as well")
        try:
            with self.connection.begin_nested():
                self.connection.execute(
                    _LINK,
                    {
                        "entity": entity,
                        "canonical_id": canonical_id,
                        "system": system,
                        "system_id": system_id,
                        "linked_at": datetime.now(UTC),
                        "linked_by": by,
                    },
                )
            self._canonical[(entity, system, system_id)] = canonical_id
            self._linked(entity, canonical_id)[system] = system_id
        except IntegrityError:
            self._forget()
            winner = self.canonical_id(entity, system, system_id)
            if winner != canonical_id:
                raise XrefConflictError(
                    entity, system, system_id, str(winner), canonical_id
                ) from None

    def unlink(self, entity: str, canonical_id: str, system: str) -> None:
        """Forget which record of `system` is `canonical_id` (a merge hands it to the survivor)."""
        self._forget()
        self.connection.execute(
            delete(xref).where(
                and_(
                    xref.c.entity == entity,
                    xref.c.canonical_id == canonical_id,
                    xref.c.system == system,
                )
            )
        )

    def ensure(self, entity: str, system: str, system_id: str) -> tuple[str, bool]:
        """The canonical id of a record, minting and linking one if it has none yet."""
        existing = self.canonical_id(entity, system, system_id)
        if existing is not None:
            return existing, False
        minted = new_canonical_id()
        try:
            self.link(entity, minted, system, system_id)
        except XrefConflictError as conflict:
            # Another worker linked it first: its identity wins.
            return conflict.existing, False
        return minted, True
