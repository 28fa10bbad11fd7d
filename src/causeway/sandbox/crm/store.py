"""The org's records: in memory for fast SOQL, written through to SQLite when file-backed.

All writes go through a transaction, which validates, computes derived values, keeps the
indexes (external ids, unique fields, lookups) and system fields right, rolls back as a
whole or to a savepoint, and on commit persists and publishes change events.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from causeway.sandbox.crm.derived import derive, parent_of, totals
from causeway.sandbox.crm.errors import SalesforceError, not_found
from causeway.sandbox.crm.events import Change, EventLog
from causeway.sandbox.crm.ids import make_id, prefix_of
from causeway.sandbox.crm.persistence import Persistence
from causeway.sandbox.crm.schema import Catalog, SObjectDef
from causeway.sandbox.crm.validation import validate_write
from causeway.sandbox.crm.values import format_datetime

# Master-detail style cascades: deleting the parent deletes these children.
CASCADES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId")),
    "Opportunity": (("OpportunityLineItem", "OpportunityId"), ("Quote", "OpportunityId")),
    "Quote": (("QuoteLineItem", "QuoteId"),),
    "Order": (("OrderItem", "OrderId"),),
}
# Merges move these related records of each loser to the master.
MERGEABLE: Mapping[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId"),
                ("Order", "AccountId")),
    "Contact": (("Case", "ContactId"),),
}
_AUTO_NUMBER_WIDTH = {"CaseNumber": 8, "OrderNumber": 8, "QuoteNumber": 8, "LineNumber": 7,
                      "OrderItemNumber": 10}


class Transaction:
    """Changes made by one API call; committed or rolled back together."""

    def __init__(self, origin: str, user_id: str, now: str, silent: bool) -> None:
        self.key = str(uuid.uuid4())
        self.origin = origin
        self.user_id = user_id
        self.now = now
        self.silent = silent
        self.undo: list[tuple[str, str, dict[str, Any] | None]] = []
        self.changes: list[Change] = []

    def mark(self) -> tuple[int, int]:
        """A savepoint to roll back to."""
        return len(self.undo), len(self.changes)


class CrmStore:
    """Every record of every sObject, with indexes; thread-safe through `lock`."""

    def __init__(self, catalog: Catalog, events: EventLog, persistence: Persistence | None,
                 clock: Callable[[], datetime], user_id: str) -> None:
        self.catalog = catalog
        self.events = events
        self.persistence = persistence
        self.clock = clock
        self.user_id = user_id
        self.lock = threading.RLock()
        self._tables: dict[str, dict[str, dict[str, Any]]] = {o.name: {} for o in catalog}
        self._owner: dict[str, str] = {}
        self._keys: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(dict)
        self._children: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(dict)
        self.counters: dict[str, int] = {}
        self._last_now = ""

    # --- reading -------------------------------------------------------------------------

    def table(self, sobject: str) -> dict[str, dict[str, Any]]:
        """All records of `sobject` by id, deleted ones included."""
        return self._tables[sobject]

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The record with this 18-character id, deleted or not."""
        sobject = self._owner.get(record_id)
        return None if sobject is None else self._tables[sobject].get(record_id)

    def status(self, record_id: str) -> tuple[str, bool] | None:
        """(sObject, is deleted) of a record, for reference validation."""
        record = self.get(record_id)
        return None if record is None else (self._owner[record_id], bool(record["IsDeleted"]))

    def find_external(self, sobject: str, field: str, value: Any) -> list[str]:
        """Ids of live records whose `field` equals `value` (case-insensitive text)."""
        definition = self._definition(sobject).field(field)
        name = definition.name if definition else field
        ids = self._keys[(sobject, name)].get(_key(value), set())
        return sorted(ids)

    def children(self, sobject: str, field: str, parent_id: str) -> Iterator[dict[str, Any]]:
        """Live `sobject` records whose reference `field` points at `parent_id`."""
        table = self._tables[sobject]
        for child_id in sorted(self._children[(sobject, field)].get(parent_id, ())):
            yield table[child_id]

    def standard_pricebook_id(self) -> str | None:
        """The standard price book every product needs a price in first."""
        for record in self._tables["Pricebook2"].values():
            if record.get("IsStandard") and not record["IsDeleted"]:
                return str(record["Id"])
        return None

    def _definition(self, sobject: str) -> SObjectDef:
        definition = self.catalog.get(sobject)
        if definition is None:
            raise SalesforceError.of(404, "NOT_FOUND", f"The requested resource does not exist: "
                                     f"{sobject}", sobject=sobject)
        return definition

    # --- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self, origin: str = "", silent: bool = False) -> Iterator[Transaction]:
        """Run writes atomically; on error nothing of them remains."""
        with self.lock:
            tx = Transaction(origin, self.user_id, self._now(), silent)
            try:
                yield tx
            except BaseException:
                self.rollback_to(tx, (0, 0))
                raise
            self._commit(tx)

    def _now(self) -> str:
        now = format_datetime(self.clock())
        self._last_now = max(now, self._last_now)
        return self._last_now

    def rollback_to(self, tx: Transaction, mark: tuple[int, int]) -> None:
        """Undo the transaction's writes made after `mark`."""
        undo_at, changes_at = mark
        for sobject, record_id, previous in reversed(tx.undo[undo_at:]):
            current = self._tables[sobject].get(record_id)
            if current is not None:
                self._index(sobject, current, add=False)
            if previous is None:
                self._tables[sobject].pop(record_id, None)
                self._owner.pop(record_id, None)
            else:
                self._tables[sobject][record_id] = previous
                self._index(sobject, previous, add=True)
        del tx.undo[undo_at:]
        del tx.changes[changes_at:]

    def _commit(self, tx: Transaction) -> None:
        published: list[dict[str, Any]] = []
        if tx.changes and not tx.silent:
            published = self.events.publish(
                tx.changes, transaction_key=tx.key, origin=tx.origin, user_id=tx.user_id,
                committed=self.clock())
        self.counters["events:next"] = self.events.latest_replay_id + 1
        self.counters["events:commit"] = self.events.commit_number
        if self.persistence is not None:
            touched = {record_id: sobject for sobject, record_id, _ in tx.undo}
            self.persistence.commit(
                [(sobject, self._tables[sobject][rid]) for rid, sobject in touched.items()
                 if rid in self._tables[sobject]],
                self.counters, published, self.events.oldest_replay_id)

    def _put(self, tx: Transaction, sobject: str, record: dict[str, Any],
             previous: dict[str, Any] | None) -> None:
        record_id = record["Id"]
        tx.undo.append((sobject, record_id, previous))
        if previous is not None:
            self._index(sobject, previous, add=False)
        self._tables[sobject][record_id] = record
        self._owner[record_id] = sobject
        self._index(sobject, record, add=True)

    def _index(self, sobject: str, record: dict[str, Any], add: bool) -> None:
        if record["IsDeleted"]:
            return
        definition = self._definition(sobject)
        record_id = record["Id"]
        for field in definition.fields.values():
            value = record.get(field.name)
            if value is None:
                continue
            if field.external_id or field.unique:
                _toggle(self._keys[(sobject, field.name)], _key(value), record_id, add)
            if field.type == "reference":
                _toggle(self._children[(sobject, field.name)], value, record_id, add)

    # --- writes --------------------------------------------------------------------------

    def create(self, tx: Transaction, sobject: str, payload: Mapping[str, Any],
               record_id: str | None = None) -> str:
        """Insert a record; returns its id."""
        definition = self._definition(sobject)
        if not definition.createable:
            raise SalesforceError.of(400, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                                     f"entity type cannot be inserted: {sobject}")
        values = validate_write(definition, payload, creating=True, refs=self)
        return self._insert(tx, definition, values, record_id)

    def seed_record(self, tx: Transaction, sobject: str, values: Mapping[str, Any]) -> str:
        """Insert trusted values as the org's own set-up does, read-only fields included."""
        return self._insert(tx, self._definition(sobject), dict(values), None)

    def _insert(self, tx: Transaction, definition: SObjectDef, values: dict[str, Any],
                record_id: str | None) -> str:
        sobject = definition.name
        record: dict[str, Any] = {name: None for name in definition.fields}
        for field in definition.fields.values():
            if field.default is not None:
                record[field.name] = field.default
        record.update(values)
        derive(sobject, record, set(values), True, tx.now, self)
        for field in definition.fields.values():
            if field.auto_number:
                record[field.name] = self._auto_number(sobject, field.name)
        record_id = record_id or self._next_id(definition)
        record.update(Id=record_id, IsDeleted=False, CreatedDate=tx.now, CreatedById=tx.user_id,
                      LastModifiedDate=tx.now, LastModifiedById=tx.user_id,
                      SystemModstamp=tx.now)
        self._check_unique(definition, record)
        self._put(tx, sobject, record, None)
        tx.changes.append(Change(sobject, record_id, "CREATE",
                                 {k: v for k, v in record.items() if v is not None}))
        self._roll_up(tx, sobject, record)
        return record_id

    def live(self, sobject: str | None, record_id: str) -> tuple[str, dict[str, Any]]:
        """(sObject, record) of a live record, or the 404 a real org answers."""
        owner = self._owner.get(record_id)
        record = self.get(record_id)
        if record is None or owner is None or (sobject is not None and owner != sobject):
            raise not_found(sobject, record_id)
        if record["IsDeleted"]:
            raise SalesforceError.of(404, "ENTITY_IS_DELETED", "entity is deleted",
                                     sobject=owner, record_id=record_id)
        return owner, record

    def update(self, tx: Transaction, sobject: str, record_id: str,
               payload: Mapping[str, Any]) -> None:
        """Change fields of a live record as a user would."""
        sobject, current = self.live(sobject, record_id)
        values = validate_write(self._definition(sobject), payload, creating=False, refs=self)
        self._apply(tx, sobject, current, values, system=False)

    def system_update(self, tx: Transaction, sobject: str, record_id: str,
                      values: Mapping[str, Any]) -> None:
        """Change fields as the org itself does (roll-ups): SystemModstamp moves, nothing else."""
        _, current = self.live(sobject, record_id)
        if any(current.get(name) != value for name, value in values.items()):
            self._apply(tx, sobject, current, dict(values), system=True)

    def _apply(self, tx: Transaction, sobject: str, current: dict[str, Any],
               values: dict[str, Any], system: bool) -> None:
        record = dict(current)
        record.update(values)
        derive(sobject, record, set(values), False, tx.now, self)
        if not system:
            record.update(LastModifiedDate=tx.now, LastModifiedById=tx.user_id)
        record["SystemModstamp"] = tx.now
        self._check_unique(self._definition(sobject), record)
        self._put(tx, sobject, record, current)
        changed = [k for k in record if record[k] != current.get(k) and k != "SystemModstamp"]
        tx.changes.append(Change(
            sobject, record["Id"], "UPDATE", {k: record[k] for k in changed}, changed,
            [k for k in changed if record[k] is None]))
        self._roll_up(tx, sobject, record)

    def delete(self, tx: Transaction, sobject: str | None, record_id: str) -> None:
        """Move a live record (and its detail records) to the recycle bin."""
        sobject, current = self.live(sobject, record_id)
        for child, field in CASCADES.get(sobject, ()):
            for item in list(self.children(child, field, record_id)):
                self.delete(tx, child, item["Id"])
        record = dict(current, IsDeleted=True, LastModifiedDate=tx.now,
                      LastModifiedById=tx.user_id, SystemModstamp=tx.now)
        self._put(tx, sobject, record, current)
        tx.changes.append(Change(sobject, record_id, "DELETE"))
        self._roll_up(tx, sobject, record)

    def merge(self, tx: Transaction, sobject: str, master_id: str, loser_ids: list[str]) -> None:
        """Merge up to two records into a master, as Salesforce's merge call does.

        The losers' related records move to the master (UPDATE events), then the losers are
        deleted with MasterRecordId pointing at the master (DELETE events), so a reader of
        `queryAll` or the change feed can tell a merge from a plain delete.
        """
        if sobject not in MERGEABLE:
            raise SalesforceError.of(400, "INVALID_TYPE", f"{sobject} cannot be merged")
        if not 1 <= len(loser_ids) <= 2:
            raise SalesforceError.of(400, "INVALID_OPERATION", "merge takes one or two records")
        self.live(sobject, master_id)
        for loser_id in loser_ids:
            if loser_id == master_id:
                raise SalesforceError.of(400, "INVALID_ID_FIELD",
                                         "a record cannot merge into itself", record_id=loser_id)
            self.live(sobject, loser_id)
        for loser_id in loser_ids:
            for child, field in MERGEABLE[sobject]:
                for item in list(self.children(child, field, loser_id)):
                    self.update(tx, child, item["Id"], {field: master_id})
            _, current = self.live(sobject, loser_id)
            record = dict(current, IsDeleted=True, MasterRecordId=master_id,
                          LastModifiedDate=tx.now, LastModifiedById=tx.user_id,
                          SystemModstamp=tx.now)
            self._put(tx, sobject, record, current)
            tx.changes.append(Change(sobject, loser_id, "DELETE"))
            self._roll_up(tx, sobject, record)

    def undelete(self, tx: Transaction, record_id: str) -> str:
        """Restore a record from the recycle bin; returns its sObject name."""
        current = self.get(record_id)
        if current is None or not current["IsDeleted"]:
            raise SalesforceError.of(400, "UNDELETE_FAILED", "Entity is not in the recycle bin",
                                     record_id=record_id)
        sobject = self._owner[record_id]
        record = dict(current, IsDeleted=False, LastModifiedDate=tx.now,
                      LastModifiedById=tx.user_id, SystemModstamp=tx.now)
        self._check_unique(self._definition(sobject), record)
        self._put(tx, sobject, record, current)
        tx.changes.append(Change(sobject, record_id, "UNDELETE",
                                 {k: v for k, v in record.items() if v is not None}))
        self._roll_up(tx, sobject, record)
        return sobject

    def _roll_up(self, tx: Transaction, sobject: str, record: dict[str, Any]) -> None:
        parent_id = parent_of(sobject, record)
        if parent_id is None:
            return
        parent = self.status(parent_id)
        if parent is None or parent[1]:
            return
        self.system_update(tx, parent[0], parent_id, totals(parent[0], parent_id, self))

    def _check_unique(self, definition: SObjectDef, record: dict[str, Any]) -> None:
        for field in definition.unique_fields:
            value = record.get(field.name)
            if value is None:
                continue
            others = self._keys[(definition.name, field.name)].get(_key(value), set())
            clash = sorted(others - {record["Id"]})
            if clash:
                raise SalesforceError.of(
                    400, "DUPLICATE_VALUE", f"duplicate value found: {field.name} duplicates "
                    f"value on record with id: {clash[0]}", (field.name,),
                    sobject=definition.name, record_id=record.get("Id"))

    def _next_id(self, definition: SObjectDef) -> str:
        name = f"id:{definition.key_prefix}"
        self.counters[name] = self.counters.get(name, 0) + 1
        return make_id(definition.key_prefix, self.counters[name])

    def _auto_number(self, sobject: str, field: str) -> str:
        name = f"auto:{sobject}.{field}"
        self.counters[name] = self.counters.get(name, 0) + 1
        return str(self.counters[name]).rjust(_AUTO_NUMBER_WIDTH.get(field, 8), "0")

    # --- whole-org state -----------------------------------------------------------------

    def clear(self) -> None:
        """Empty the org: records, indexes, counters and retained events."""
        with self.lock:
            for table in self._tables.values():
                table.clear()
            self._owner.clear()
            self._keys.clear()
            self._children.clear()
            self.counters.clear()
            self.events.clear()
            if self.persistence is not None:
                self.persistence.clear()

    def restore(self) -> bool:
        """Load a file-backed org; False when the file holds no org yet."""
        if self.persistence is None or self.persistence.is_empty():
            return False
        with self.lock:
            for sobject, record in self.persistence.load_records():
                self._tables[sobject][record["Id"]] = record
                self._owner[record["Id"]] = sobject
                self._index(sobject, record, add=True)
            self.counters = self.persistence.load_counters()
            self.events.restore(self.persistence.load_events(),
                                self.counters.get("events:next", 1),
                                self.counters.get("events:commit", 0))
        return True

    def kind_of(self, record_id: str) -> str | None:
        """The sObject an id belongs to, judged by its key prefix."""
        definition = self.catalog.by_prefix(prefix_of(record_id))
        return definition.name if definition else None


def _key(value: Any) -> str:
    return str(value).lower()


def _toggle(index: dict[str, set[str]], key: str, record_id: str, add: bool) -> None:
    if add:
        index.setdefault(key, set()).add(record_id)
    else:
        members = index.get(key)
        if members is not None:
            members.discard(record_id)
            if not members:
                del index[key]
