"""Reconciliation: prove both systems agree, record by record and field by field.

Both sides are read in full through their connectors and mapped to canonical objects;
linked pairs are compared on the fields both sides carry, and every record without a
partner, every link whose record is gone, every differing field and every group of records
that are the same thing twice in one system (same stamped id, or same identity: normalised
name and postcode for customers, SKU for products, email at the same customer for contacts)
is listed. Objects deleted or merged away on purpose are counted as retired, not missing.
A clean report is the evidence users ask for after an initial load or an incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, and_, select

from causeway.connectors.contract import Connector, RawRecord
from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingError
from causeway.store.tables.sync import golden_record
from causeway.sync.matching import normalise_name
from causeway.sync.ownership import META_FIELDS
from causeway.sync.xref import Xref

IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("party.name", "addresses[billing].postal_code", "addresses[billing].country"),
    "product": ("sku",),
    "contact": ("customer_id", "email"),
}
"""Per entity, the canonical fields that together say two records are the same thing."""


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs between the two copies."""

    field: str
    left: Any
    right: Any


@dataclass(frozen=True)
class PairDifference:
    """A linked pair whose copies disagree."""

    canonical_id: str
    left_id: str
    right_id: str
    fields: tuple[FieldDifference, ...]


@dataclass
class ReconciliationReport:
    """How far two systems agree on one entity."""

    entity: str
    left_system: str
    right_system: str
    left_records: int = 0
    right_records: int = 0
    compared_fields: tuple[str, ...] = ()
    agreeing: int = 0
    differing: list[PairDifference] = field(default_factory=list)
    only_left: list[str] = field(default_factory=list)
    only_right: list[str] = field(default_factory=list)
    dangling: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    duplicates_left: list[list[str]] = field(default_factory=list)
    duplicates_right: list[list[str]] = field(default_factory=list)
    retired: int = 0
    """Copies of objects deleted or merged away elsewhere, kept (archived) on purpose."""

    @property
    def clean(self) -> bool:
        """True when every record has a partner, every pair agrees, and nothing is twice."""
        return not (
            self.differing
            or self.only_left
            or self.only_right
            or self.dangling
            or self.unreadable
            or self.duplicates_left
            or self.duplicates_right
        )

    def summary(self) -> dict[str, Any]:
        """Counts for people and dashboards."""
        return {
            "entity": self.entity,
            "systems": f"{self.left_system} <-> {self.right_system}",
            "left_records": self.left_records,
            "right_records": self.right_records,
            "agreeing_pairs": self.agreeing,
            "differing_pairs": len(self.differing),
            "only_left": len(self.only_left),
            "only_right": len(self.only_right),
            "dangling_links": len(self.dangling),
            "unreadable": len(self.unreadable),
            "duplicates_left": len(self.duplicates_left),
            "duplicates_right": len(self.duplicates_right),
            "retired": self.retired,
            "clean": self.clean,
        }


async def read_all(connector: Connector, object_name: str, page: int = 2000) -> list[RawRecord]:
    """Every live record of an object, through the change feed from the beginning."""
    records: dict[str, RawRecord] = {}
    cursor: str | None = None
    while True:
        batch = await connector.changes(object_name, cursor, page)
        for record in batch.records:
            if record.deleted:
                records.pop(record.id, None)
            else:
                records[record.id] = record
        cursor = batch.cursor
        if not batch.more:
            return list(records.values())


def comparable(value: Any) -> Any:
    """A value normalised for comparison: no empty parts, numbers by value, text trimmed."""
    if isinstance(value, Mapping):
        cleaned = {k: comparable(v) for k, v in value.items() if v not in (None, "", [], {})}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        text = value.strip()
        try:
            return Decimal(text).normalize() if text and text[0].isdigit() else text
        except InvalidOperation:
            return text
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a canonical record: `party.name`, `addresses[billing].city`, ...

    List items that carry a role (addresses) are keyed by it, so order does not matter.
    """
    if isinstance(value, Mapping):
        leaves: dict[str, Any] = {}
        for name, item in value.items():
            leaves |= flatten(item, f"{prefix}.{name}" if prefix else str(name))
        return leaves
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        leaves = {}
        for index, item in enumerate(value):
            label = item.get("role") or item.get("scheme") or index
            leaves |= flatten(item, f"{prefix}[{label}]")
        return leaves
    return {prefix: value}


Mapped = dict[str, dict[str, Any] | MappingError]
"""Each record's canonical form (as JSON data) by record id, or why it could not be mapped."""


def _mapped(records: list[RawRecord], mapping: CompiledMapping, xref: Xref) -> Mapped:
    """Map every record once; the comparison and the duplicate search both read the result."""
    found: Mapped = {}
    for record in records:
        try:
            found[record.id] = mapping.to_canonical(record.fields, xref=xref).model_dump(
                mode="json"
            )
        except MappingError as error:
            found[record.id] = error
    return found


def _compared(mapping: CompiledMapping, data: dict[str, Any]) -> dict[str, Any]:
    # Fields the mapping never fills hold model defaults, not the system's data.
    filled = mapping.inbound_fields - META_FIELDS
    return flatten({k: v for k, v in data.items() if k in filled})


async def reconcile(
    database: Engine,
    entity: str,
    left: tuple[Connector, CompiledMapping],
    right: tuple[Connector, CompiledMapping],
    ignore: frozenset[str] = frozenset(),
) -> ReconciliationReport:
    """Compare every linked pair of `entity` between two systems and list what disagrees."""
    (left_connector, left_mapping), (right_connector, right_mapping) = left, right
    report = ReconciliationReport(entity, left_connector.system, right_connector.system)
    left_records = await read_all(left_connector, left_mapping.object_name)
    right_records = await read_all(right_connector, right_mapping.object_name)
    report.left_records, report.right_records = len(left_records), len(right_records)
    with database.connect() as connection:
        xref = Xref(connection)
        retired = _retired(connection, entity)
        left_mapped = _mapped(left_records, left_mapping, xref)
        right_mapped = _mapped(right_records, right_mapping, xref)
        left_by_canonical = _by_canonical(
            entity, left_records, left_mapping, left_mapped, xref, report, report.only_left, retired
        )
        right_by_canonical = _by_canonical(
            entity,
            right_records,
            right_mapping,
            right_mapped,
            xref,
            report,
            report.only_right,
            retired,
        )
    report.duplicates_left = _duplicates(entity, left_records, left_mapped)
    report.duplicates_right = _duplicates(entity, right_records, right_mapped)
    shared = _carried(left_by_canonical) & _carried(right_by_canonical)
    report.compared_fields = tuple(sorted(shared - ignore))
    for canonical_id, (left_id, left_data) in left_by_canonical.items():
        partner = right_by_canonical.pop(canonical_id, None)
        if partner is None:
            report.dangling.append(f"{canonical_id}: no {report.right_system} record")
            continue
        right_id, right_data = partner
        differences = tuple(
            FieldDifference(name, left_data.get(name), right_data.get(name))
            for name in report.compared_fields
            if comparable(left_data.get(name)) != comparable(right_data.get(name))
        )
        if differences:
            report.differing.append(PairDifference(canonical_id, left_id, right_id, differences))
        else:
            report.agreeing += 1
    for canonical_id in right_by_canonical:
        report.dangling.append(f"{canonical_id}: no {report.left_system} record")
    return report


def _retired(connection: Connection, entity: str) -> set[str]:
    rows = connection.execute(
        select(golden_record.c.canonical_id).where(
            and_(golden_record.c.entity == entity, golden_record.c.state != "active")
        )
    )
    return {str(row[0]) for row in rows}


def _by_canonical(
    entity: str,
    records: list[RawRecord],
    mapping: CompiledMapping,
    mapped: Mapped,
    xref: Xref,
    report: ReconciliationReport,
    unlinked: list[str],
    retired: set[str],
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Linked, live records by canonical id; unlinked ones are listed, retired ones counted."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in records:
        canonical_id = xref.canonical_id(entity, record.system, record.id)
        if canonical_id in retired:
            report.retired += 1
            continue
        result = mapped[record.id]
        data = None
        if isinstance(result, MappingError):
            report.unreadable.append(f"{record.system} {record.id}: {result.describe()}")
        else:
            data = _compared(mapping, result)
        if canonical_id is None:
            unlinked.append(record.id)
        elif data is not None:
            found[canonical_id] = (record.id, data)
    return found


def _duplicates(entity: str, records: list[RawRecord], mapped: Mapped) -> list[list[str]]:
    """Groups of live records of one system that are the same thing: same stamped id, or
    same identity fields."""
    names = IDENTITY_FIELDS.get(entity, ())
    groups: dict[tuple[str, ...], list[str]] = {}
    for record in records:
        data = mapped[record.id]
        if isinstance(data, MappingError):
            continue  # listed as unreadable
        if data.get("status") in ("archived",):
            continue
        stamped = data.get("id")
        if isinstance(stamped, str) and stamped:
            groups.setdefault(("id", stamped), []).append(record.id)
        leaves = flatten(data)
        identity = tuple(_identity_part(name, leaves.get(name)) for name in names)
        if names and all(identity):
            groups.setdefault(("identity", *identity), []).append(record.id)
    seen: set[tuple[str, ...]] = set()
    duplicates = []
    for ids in groups.values():
        key = tuple(sorted(ids))
        if len(ids) > 1 and key not in seen:
            seen.add(key)
            duplicates.append(sorted(ids))
    return duplicates


def _identity_part(name: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value)
    return normalise_name(text) if name.endswith("name") else text.strip().lower()


def _carried(records: Mapping[str, tuple[str, dict[str, Any]]]) -> set[str]:
    names: set[str] = set()
    for _, data in records.values():
        names.update(name for name, value in data.items() if value not in (None, "", [], {}))
    return names
