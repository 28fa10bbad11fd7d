"""SQLite persistence for the ERP sandbox: typed records per entity set, number ranges, and
change documents.

One table holds every entity as JSON keyed by (entity set, key); the first key value is indexed
so the items of a document are found without a scan. A file database survives restarts.
Client writes also leave change documents, as SAP does, so a test can see every version an
object went through (and in which order), not just the last.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from causeway.sandbox.erp.model import Edm, EntityType

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity (
    entity_set TEXT NOT NULL,
    key TEXT NOT NULL,
    lead TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (entity_set, key)
);
CREATE INDEX IF NOT EXISTS entity_lead ON entity (entity_set, lead);
CREATE INDEX IF NOT EXISTS entity_party
    ON entity (entity_set, json_extract(body, '$.SoldToParty'));
CREATE INDEX IF NOT EXISTS entity_material
    ON entity (entity_set, json_extract(body, '$.Material'));
CREATE TABLE IF NOT EXISTS number_range (
    name TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS change_document (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_set TEXT NOT NULL,
    key TEXT NOT NULL,
    indicator TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_document_object ON change_document (entity_set, key, seq);
"""


@dataclass(frozen=True)
class ChangeDocument:
    """One client write as SAP's change documents (CDHDR/CDPOS) keep it: which object, insert
    (I), update (U) or delete (D), when, and the object as it stood afterwards."""

    seq: int
    entity_set: str
    key: tuple[str, ...]
    indicator: str
    changed_at: str
    body: dict[str, Any]


class DuplicateKeyError(Exception):
    """An insert whose key already exists in the entity set."""

    def __init__(self, entity_set: str, key: tuple[str, ...]) -> None:
        super().__init__(f"{entity_set}{key!r} already exists")
        self.entity_set = entity_set
        self.key = key


def _encode(entity: EntityType, record: Record) -> str:
    body: dict[str, Any] = {}
    for prop in entity.properties:
        value = record.get(prop.name)
        if isinstance(value, Decimal | uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime | time):
            value = value.isoformat()
        body[prop.name] = value
    return json.dumps(body, separators=(",", ":"))


def _converter(kind: Edm) -> Callable[[Any], Any] | None:
    if kind == Edm.DECIMAL:
        return Decimal
    if kind in (Edm.DATETIME, Edm.DATETIMEOFFSET):
        return datetime.fromisoformat
    if kind == Edm.TIME:
        return time.fromisoformat
    if kind == Edm.GUID:
        return uuid.UUID
    return None


_CONVERTERS: dict[str, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _converters(entity: EntityType) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    # Keyed by set name: hashing the whole frozen entity type on every row costs more.
    found = _CONVERTERS.get(entity.entity_set)
    if found is None:
        pairs = ((prop.name, _converter(prop.type)) for prop in entity.properties)
        found = tuple((name, convert) for name, convert in pairs if convert is not None)
        _CONVERTERS[entity.entity_set] = found
    return found


_DECODED_LIMIT = 100_000


def _decode(entity: EntityType, key: str, body: str) -> Record:
    """The record a stored body holds; a record whose body has not changed since it was last
    decoded is not parsed again.

    Change polls read whole entity sets; parsing the same unchanged JSON thousands of times
    was most of the sandbox's time under load. The cache holds the latest version of each
    record, so it grows with the records, not with every change ever made to them. Each
    caller gets its own (shallow) copy, so changing a returned record never changes the cache.
    """
    slot = (entity.entity_set, key)
    cached = _DECODED.get(slot)
    if cached is None or cached[0] != body:
        if len(_DECODED) >= _DECODED_LIMIT:
            _DECODED.clear()
        cached = _DECODED[slot] = (body, _parse(entity, body))
    return dict(cached[1])


_DECODED: dict[tuple[str, str], tuple[str, Record]] = {}


def _parse(entity: EntityType, body: str) -> Record:
    record: Record = json.loads(body)
    for name, convert in _converters(entity):
        value = record.get(name)
        if value is not None:
            record[name] = convert(value)
    return record


def key_text(value: Any) -> str:
    """One key value as text: Edm.DateTime keys (validity dates) in ISO form, strings as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def key_of(entity: EntityType, record: Record) -> tuple[str, ...]:
    """The key tuple of a record, as text (Edm.String keys, and Edm.DateTime validity keys)."""
    return tuple(key_text(record[name]) for name in entity.keys)


class Store:
    """Thread-safe access to the sandbox database; `transaction()` makes several writes atomic."""

    def __init__(self, database: str) -> None:
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        if database != ":memory:":
            self._connection.execute("PRAGMA journal_mode=WAL")
            # A sandbox survives a restart, not a power cut: no fsync on every commit.
            self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.executescript(_SCHEMA)
        self._depth = 0
        self._indexed: set[str] = {"SoldToParty", "Material"}  # indexed by the schema

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the enclosed reads and writes atomically; nests without effect."""
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    self._connection.execute("ROLLBACK")
                raise
            else:
                if self._depth == 1:
                    self._connection.execute("COMMIT")
            finally:
                self._depth -= 1

    def get(self, entity: EntityType, key: tuple[str, ...]) -> Record | None:
        """The record with `key`, or None."""
        with self._lock:
            row = self._connection.execute(
                "SELECT key, body FROM entity WHERE entity_set = ? AND key = ?",
                (entity.entity_set, json.dumps(list(key))),
            ).fetchone()
        return _decode(entity, row[0], row[1]) if row else None

    def scan(self, entity: EntityType, lead: str | None = None) -> list[Record]:
        """All records of the set in insertion order, or only those whose first key is `lead`."""
        with self._lock:
            if lead is None:
                rows = self._connection.execute(
                    "SELECT key, body FROM entity WHERE entity_set = ? ORDER BY rowid",
                    (entity.entity_set,),
                ).fetchall()
            else:
                rows = self._connection.execute(
                    "SELECT key, body FROM entity WHERE entity_set = ? AND lead = ? ORDER BY rowid",
                    (entity.entity_set, lead),
                ).fetchall()
        return [_decode(entity, row[0], row[1]) for row in rows]

    def find(
        self,
        entity: EntityType,
        equal: dict[str, str] | None = None,
        unequal: dict[str, str] | None = None,
    ) -> list[Record]:
        """Records whose string properties equal (or differ from) the given values, in SQL."""
        clauses = ["entity_set = ?"]
        params: list[str] = [entity.entity_set]
        for position, (name, value) in enumerate((equal or {}).items()):
            self._check_name(entity, name)
            if position == 0:
                self._ensure_index(name)  # the first property narrows through its index
            clauses.append(f"json_extract(body, '$.{name}') = ?")
            params.append(value)
        for name, value in (unequal or {}).items():
            self._check_name(entity, name)
            clauses.append(f"json_extract(body, '$.{name}') IS NOT ?")
            params.append(value)
        query = f"SELECT key, body FROM entity WHERE {' AND '.join(clauses)} ORDER BY rowid"  # noqa: S608
        with self._lock:
            rows = self._connection.execute(query, params).fetchall()
        return [_decode(entity, row[0], row[1]) for row in rows]

    def find_in(self, entity: EntityType, name: str, values: frozenset[str]) -> list[Record]:
        """Records whose string property `name` holds one of `values`, in insertion order."""
        self._check_name(entity, name)
        self._ensure_index(name)
        marks = ", ".join("?" for _ in values)
        query = (
            f"SELECT key, body FROM entity WHERE entity_set = ? "  # noqa: S608
            f"AND json_extract(body, '$.{name}') IN ({marks}) ORDER BY rowid"
        )
        with self._lock:
            rows = self._connection.execute(query, [entity.entity_set, *sorted(values)]).fetchall()
        return [_decode(entity, row[0], row[1]) for row in rows]

    def _ensure_index(self, name: str) -> None:
        """An expression index on the property, made on first lookup by it (references,
        keys): a lookup then reads a few rows instead of every row of the set."""
        if name in self._indexed:
            return
        with self._lock:
            self._connection.execute(
                f"CREATE INDEX IF NOT EXISTS ix_entity_{name} "
                f"ON entity (entity_set, json_extract(body, '$.{name}'))"
            )
            self._indexed.add(name)

    @staticmethod
    def _check_name(entity: EntityType, name: str) -> None:
        # Property names come from the model only; never from a request.
        if entity.prop(name) is None:
            raise KeyError(f"{entity.entity_set} has no property {name}")

    def insert(self, entity: EntityType, record: Record) -> None:
        """Add a record; raises `DuplicateKeyError` if its key exists."""
        key = key_of(entity, record)
        with self._lock:
            try:
                self._connection.execute(
                    "INSERT INTO entity (entity_set, key, lead, body) VALUES (?, ?, ?, ?)",
                    (entity.entity_set, json.dumps(list(key)), key[0], _encode(entity, record)),
                )
            except sqlite3.IntegrityError as error:
                raise DuplicateKeyError(entity.entity_set, key) from error

    def replace(self, entity: EntityType, record: Record) -> None:
        """Overwrite an existing record (same key)."""
        key = key_of(entity, record)
        with self._lock:
            self._connection.execute(
                "UPDATE entity SET body = ? WHERE entity_set = ? AND key = ?",
                (_encode(entity, record), entity.entity_set, json.dumps(list(key))),
            )

    def delete(self, entity: EntityType, key: tuple[str, ...]) -> None:
        """Remove a record if present."""
        with self._lock:
            self._connection.execute(
                "DELETE FROM entity WHERE entity_set = ? AND key = ?",
                (entity.entity_set, json.dumps(list(key))),
            )

    def next_number(self, name: str, first: int) -> int:
        """Draw the next number from range `name`, starting at `first`."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT next_value FROM number_range WHERE name = ?", (name,)
            ).fetchone()
            value = int(row[0]) if row else first
            self._connection.execute(
                "INSERT INTO number_range (name, next_value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET next_value = excluded.next_value",
                (name, value + 1),
            )
        return value

    def setting(self, name: str) -> str | None:
        """A persisted sandbox setting (such as the simulated clock offset)."""
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM setting WHERE name = ?", (name,)
            ).fetchone()
        return str(row[0]) if row else None

    def put_setting(self, name: str, value: str) -> None:
        """Persist a sandbox setting."""
        with self._lock:
            self._connection.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def log_change(
        self, entity: EntityType, record: Record, indicator: str, changed_at: str
    ) -> None:
        """Append a change document for a client write (in the write's transaction)."""
        with self._lock:
            self._connection.execute(
                "INSERT INTO change_document (entity_set, key, indicator, changed_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    entity.entity_set,
                    json.dumps(list(key_of(entity, record))),
                    indicator,
                    changed_at,
                    _encode(entity, record),
                ),
            )

    def change_documents(
        self, entity_set: str, key: tuple[str, ...] | None = None, after: int = 0, limit: int = 1000
    ) -> list[ChangeDocument]:
        """Change documents of an entity set (one object if `key`), oldest first."""
        query = "SELECT seq, key, indicator, changed_at, body FROM change_document "
        query += "WHERE entity_set = ? AND seq > ?"
        parameters: list[Any] = [entity_set, after]
        if key is not None:
            query += " AND key = ?"
            parameters.append(json.dumps(list(key)))
        query += " ORDER BY seq LIMIT ?"
        parameters.append(limit)
        with self._lock:
            rows = self._connection.execute(query, parameters).fetchall()
        return [
            ChangeDocument(
                int(seq), entity_set, tuple(json.loads(text)), indicator, at, json.loads(body)
            )
            for seq, text, indicator, at, body in rows
        ]

    def clear(self) -> None:
        """Remove every record, number range, setting and change document."""
        with self.transaction():
            for table in ("entity", "number_range", "setting", "change_document"):
                self._connection.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def is_empty(self) -> bool:
        """True when no entity has been stored yet."""
        with self._lock:
            return self._connection.execute("SELECT 1 FROM entity LIMIT 1").fetchone() is None
