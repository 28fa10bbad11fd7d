"""The one contract every connector honours, whatever the wire protocol behind it.

A connector reads changes since a cursor, reads records by id, and writes batches
idempotently; it classifies every failure with `causeway.connectors.errors`. It knows
nothing of canonical objects, mappings or sync: records cross it as plain field dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from causeway.connectors.errors import ConnectorError


@dataclass(frozen=True)
class RawRecord:
    """One record as the system holds it, with what change detection needs."""

    system: str
    object_name: str
    id: str
    fields: dict[str, Any]
    modified_at: datetime | None = None
    deleted: bool = False
    origin: str | None = None
    """Who made the change, when the system says (e.g. a CDC changeOrigin): echo detection."""
    merged_into: str | None = None
    """For a record deleted by a merge: the id of the record it was merged into."""


@dataclass(frozen=True)
class ChangePage:
    """A page of changes and the cursor to continue from once the page is safely stored.

    The cursor is opaque to callers; they persist it only after every record of the page is
    durably accepted, so a failure can never move a watermark past an unprocessed record.
    """

    records: list[RawRecord]
    cursor: str
    more: bool


class WriteOperation(StrEnum):
    """What a write does to the target record."""

    UPSERT = "upsert"
    """Create or update, keyed by an external id or deterministic reference: retry-safe."""
    UPDATE = "update"
    """Update a record whose system id is known: retry-safe."""
    DELETE = "delete"


@dataclass(frozen=True)
class WriteKey:
    """How the target finds the record: a system id, or an external id field and value."""

    system_id: str | None = None
    external_field: str | None = None
    external_value: str | None = None

    def __post_init__(self) -> None:
        by_external = self.external_field is not None and self.external_value is not None
        if (self.system_id is None) == (not by_external):
            raise ValueError("a write key needs either a system id or an external field and value")

    def describe(self) -> str:
        """The key as an operator reads it."""
        if self.system_id is not None:
            return self.system_id
        return f"{self.external_field}={self.external_value}"


@dataclass(frozen=True)
class WriteRequest:
    """One record to write; `idempotency_key` is stable across retries of the same intent."""

    object_name: str
    operation: WriteOperation
    key: WriteKey
    fields: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one write: the system id on success, a classified error otherwise."""

    request: WriteRequest
    system_id: str | None = None
    created: bool = False
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        """True when the write took effect."""
        return self.error is None


@dataclass(frozen=True)
class ObjectSchema:
    """Fields of one system object, ideally read from the system's own describe or metadata."""

    name: str
    fields: dict[str, str]
    """Field name to the system's type name."""
    key_fields: tuple[str, ...] = ()
    external_id_fields: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = field(default_factory=tuple)


@runtime_checkable
class Connector(Protocol):
    """A system as Causeway sees it."""

    system: str
    """The configured system name, e.g. "salesforce" or "s4hana"."""

    max_batch: int
    """The largest write batch the system accepts in one call."""

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """Records changed after `cursor` (None: from the beginning), oldest first."""
        ...

    async def read(self, object_name: str, ids: Sequence[str]) -> list[RawRecord]:
        """Current state of the given records; missing ones are left out."""
        ...

    async def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply writes: one result per request, in order; one failure hides none of the rest."""
        ...

    async def describe(self, object_name: str) -> ObjectSchema:
        """Fields of an object, for validation of mappings."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
