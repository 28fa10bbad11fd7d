"""Golden records and per-system sync state: what Causeway believes and what it last wrote."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, select

from causeway.store.tables.sync import golden_record, sync_state
from causeway.sync.compare import covers

# Built once: a change runs several of these, and building a statement (comparisons, bind
# parameters, its cache key) cost more than running it on SQLite.
_LOAD = select(
    golden_record.c.data,
    golden_record.c.field_sources,
    golden_record.c.version,
    golden_record.c.state,
    golden_record.c.merged_into,
).where(
    golden_record.c.entity == bindparam("w_entity"),
    golden_record.c.canonical_id == bindparam("w_canonical_id"),
)
_INSERT = golden_record.insert()
_UPDATE = (
    golden_record.update()
    .where(
        golden_record.c.entity == bindparam("w_entity"),
        golden_record.c.canonical_id == bindparam("w_canonical_id"),
        golden_record.c.version == bindparam("w_version"),
    )
    .values({
        name: bindparam(name)
        for name in ("data", "field_sources", "version", "updated_at", "state", "merged_into")
    })
)
_STATES = select(sync_state).where(
    sync_state.c.entity == bindparam("w_entity"),
    sync_state.c.canonical_id == bindparam("w_canonical_id"),
)
_STATE_INSERT = sync_state.insert()
_STATE_UPDATES: dict[frozenset[str], Any] = {}


def _state_update(names: frozenset[str]) -> Any:
    """The UPDATE of a sync state row setting just `names`, built once per set of columns:
    columns another transaction writes meanwhile are left as it wrote them."""
    statement = _STATE_UPDATES.get(names)
    if statement is None:
        statement = _STATE_UPDATES[names] = (
            sync_state.update()
            .where(
                sync_state.c.entity == bindparam("w_entity"),
                sync_state.c.canonical_id == bindparam("w_canonical_id"),
                sync_state.c.system == bindparam("w_system"),
            )
            .values({name: bindparam(name) for name in sorted(names)})
        )
    return statement


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable hash of a payload: same fields and values, same hash, whatever the order."""
    encoded = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(encoded).hexdigest()


@dataclass
class Golden:
    """The merged view of one canonical object and where each field came from."""

    entity: str
    canonical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    version: int = 0
    state: str = "active"
    """active, deleted, or merged (into `merged_into`)."""
    merged_into: str | None = None


SENT_KEPT = 8
"""Values per field remembered as sent and not yet seen back: a few writes in flight."""


@dataclass
class Held:
    """What one system holds of an object, as far as we know: the canonical values it last
    reported, and per field the values our writes sent since (oldest first), which it may
    show next without anyone there having edited anything."""

    reported: dict[str, Any] = field(default_factory=dict)
    sent: dict[str, list[Any]] = field(default_factory=dict)

    def after_read(self, reported: Mapping[str, Any]) -> Held:
        """What the system holds once it has reported these values: sent values it now
        shows have landed, and so has everything sent before them."""
        sent = dict(self.sent)
        for name, value in reported.items():
            pending = sent.get(name, [])
            landed = [i for i, sent_value in enumerate(pending) if covers(value, sent_value)]
            if landed:
                rest = pending[landed[-1] + 1 :]
                if rest:
                    sent[name] = rest
                else:
                    sent.pop(name)
        return Held({**self.reported, **reported}, sent)

    def expected(self) -> dict[str, list[Any]]:
        """Per field, every value the system may show without having edited it."""
        names = set(self.reported) | set(self.sent)
        return {
            name: ([self.reported[name]] if name in self.reported else []) + self.sent.get(name, [])
            for name in names
        }


class GoldenStore:
    """Loads and saves golden records and sync state on the caller's connection.

    A store lives for one change: the object's sync state rows (one per system) are read
    once, with a single query, and kept up to date as they are written, so the many questions
    a change asks of them (held values, seen, last written hash) cost no further statements.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._states: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def load(self, entity: str, canonical_id: str) -> Golden:
        """The golden record, or an empty one at version 0."""
        row = self.connection.execute(
            _LOAD, {"w_entity": entity, "w_canonical_id": canonical_id}
        ).first()
        if row is None:
            return Golden(entity, canonical_id)
        return Golden(
            entity, canonical_id, dict(row[0]), dict(row[1]), int(row[2]), str(row[3]), row[4]
        )

    def save(self, golden: Golden) -> None:
        """Write the record at the next version; refuses to overwrite a concurrent save."""
        now = datetime.now(UTC)
        values = {
            "data": golden.data,
            "field_sources": golden.sources,
            "updated_at": now,
            "state": golden.state,
            "merged_into": golden.merged_into,
        }
        if golden.version == 0:
            self.connection.execute(
                _INSERT,
                {"entity": golden.entity, "canonical_id": golden.canonical_id, "version": 1}
                | values,
            )
            golden.version = 1
            return
        updated = self.connection.execute(
            _UPDATE,
            {
                "w_entity": golden.entity,
                "w_canonical_id": golden.canonical_id,
                "w_version": golden.version,
                "version": golden.version + 1,
            }
            | values,
        )
        if updated.rowcount != 1:
            raise RuntimeError(
                f"{golden.entity} {golden.canonical_id} changed concurrently "
                f"(version {golden.version})"
            )
        golden.version += 1

    def written_hash(self, entity: str, canonical_id: str, system: str) -> str | None:
        """Hash of the payload last written to `system` for this object."""
        value = self._state(sync_state.c.written_hash, entity, canonical_id, system)
        return str(value) if value else None

    def record_write(
        self,
        entity: str,
        canonical_id: str,
        system: str,
        digest: str,
        reference: str | None = None,
        sent: Mapping[str, Any] | None = None,
    ) -> None:
        """Remember what a system holds or is about to receive (recorded when the write is
        planned, in the transaction that publishes it): a later change asking for the same
        copy while that write is still on its way is not sent twice. `reference` is what the
        write stamps on the record, so the record is known as ours even if it is read before
        the write's answer is recorded (or after a crash lost that answer); `sent` are the
        canonical values the write carries, which the system may show next."""
        values: dict[str, Any] = {"written_hash": digest, "written_at": datetime.now(UTC)}
        if reference is not None:
            values["reference"] = reference
        if sent:
            state = self.held(entity, canonical_id, system)
            for name, value in sent.items():
                pending = [old for old in state.sent.get(name, []) if old != value] + [value]
                state.sent[name] = pending[-SENT_KEPT:]
            values["held"] = {"reported": state.reported, "sent": state.sent}
        self._upsert(entity, canonical_id, system, **values)

    def by_reference(self, entity: str, system: str, reference: str) -> str | None:
        """The canonical id whose writes stamp `reference` in `system`, if any."""
        row = self.connection.execute(
            select(sync_state.c.canonical_id).where(
                and_(
                    sync_state.c.entity == entity,
                    sync_state.c.system == system,
                    sync_state.c.reference == reference,
                )
            )
        ).first()
        return str(row[0]) if row else None

    def note_seen(
        self,
        entity: str,
        canonical_id: str,
        system: str,
        at: datetime,
        held: Held | None = None,
    ) -> None:
        """Remember that a change from `system` for this object has been applied, and what
        it holds now (`Held.after_read`)."""
        values: dict[str, Any] = {"seen_modified_at": at}
        if held is not None:
            values["held"] = {"reported": held.reported, "sent": held.sent}
        self._upsert(entity, canonical_id, system, **values)

    def held(self, entity: str, canonical_id: str, system: str) -> Held:
        """What `system` last reported for this object and what we sent it since."""
        value = self._state(sync_state.c.held, entity, canonical_id, system)
        data = dict(value) if value else {}
        return Held(dict(data.get("reported") or {}), dict(data.get("sent") or {}))

    def seen(self, entity: str, canonical_id: str, system: str) -> bool:
        """True once a change from `system` for this object has been applied."""
        value = self._state(sync_state.c.seen_modified_at, entity, canonical_id, system)
        return value is not None

    def forget_write(self, entity: str, canonical_id: str, system: str) -> None:
        """Force the next change to write to `system` again (its copy was edited)."""
        self._upsert(entity, canonical_id, system, written_hash=None)

    def _rows(self, entity: str, canonical_id: str) -> dict[str, dict[str, Any]]:
        """The object's sync state rows by system, read once per store."""
        rows = self._states.get((entity, canonical_id))
        if rows is None:
            found = self.connection.execute(
                _STATES, {"w_entity": entity, "w_canonical_id": canonical_id}
            ).mappings()
            rows = {str(row["system"]): dict(row) for row in found}
            self._states[(entity, canonical_id)] = rows
        return rows

    def _state(self, column: Any, entity: str, canonical_id: str, system: str) -> Any:
        """One column of the object's sync state for `system` (None without a row)."""
        row = self._rows(entity, canonical_id).get(system)
        return None if row is None else copy.deepcopy(row[column.name])

    def _upsert(self, entity: str, canonical_id: str, system: str, **values: Any) -> None:
        rows = self._rows(entity, canonical_id)
        row = rows.get(system)
        if row is None:
            key = {"entity": entity, "canonical_id": canonical_id, "system": system}
            self.connection.execute(_STATE_INSERT, key | values)
            row = {column.name: None for column in sync_state.columns} | key
            row.update(copy.deepcopy(values))
            rows[system] = row
            return
        where = {"w_entity": entity, "w_canonical_id": canonical_id, "w_system": system}
        self.connection.execute(_state_update(frozenset(values)), where | values)
        row.update(copy.deepcopy(values))
