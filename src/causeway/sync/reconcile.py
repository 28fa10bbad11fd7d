"""Reconciliation: prove both systems agree, record by record and field by field.

Both sides are read in full through their connectors and mapped to canonical objects;
linked pairs are compared on the fields both sides carry, and every record without a
partner, every link whose record is gone and every differing field is listed. A clean
report is the evidence users ask for after an initial load or an incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine

from causeway.connectors.contract import Connector, RawRecord
from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingError
from causeway.sync.ownership import META_FIELDS
from causeway.sync.xref import Xref


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

    @property
    def clean(self) -> bool:
        """True when every record has a partner and every pair agrees."""
        return not (
            self.differing or self.only_left or self.only_right or self.dangling or self.unreadable
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


def _canonical(
    mapping: CompiledMapping, record: RawRecord, xref: Xref, report: ReconciliationReport
) -> dict[str, Any] | None:
    try:
        data = mapping.to_canonical(record.fields, xref=xref).model_dump(mode="json")
    except MappingError as error:
        report.unreadable.append(f"{record.system} {record.id}: {error.describe()}")
        return None
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
        left_by_canonical: dict[str, tuple[str, dict[str, Any]]] = {}
        for record in left_records:
            canonical_id = xref.canonical_id(entity, record.system, record.id)
            data = _canonical(left_mapping, record, xref, report)
            if canonical_id is None:
                report.only_left.append(record.id)
            elif data is not None:
                left_by_canonical[canonical_id] = (record.id, data)
        right_by_canonical: dict[str, tuple[str, dict[str, Any]]] = {}
        for record in right_records:
            canonical_id = xref.canonical_id(entity, record.system, record.id)
            data = _canonical(right_mapping, record, xref, report)
            if canonical_id is None:
                report.only_right.append(record.id)
            elif data is not None:
                right_by_canonical[canonical_id] = (record.id, data)
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
                report.differing.append(
                    PairDifference(canonical_id, left_id, right_id, differences)
                )
            else:
                report.agreeing += 1
        for canonical_id in right_by_canonical:
            report.dangling.append(f"{canonical_id}: no {report.left_system} record")
    return report


def _carried(records: Mapping[str, tuple[str, dict[str, Any]]]) -> set[str]:
    names: set[str] = set()
    for _, data in records.values():
        names.update(name for name, value in data.items() if value not in (None, "", [], {}))
    return names
