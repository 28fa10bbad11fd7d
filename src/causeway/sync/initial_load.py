"""The initial load: link the customers both systems already hold before anything is written.

Both sides are read in full and mapped to canonical customers; `matching` pairs them one to
one. Accepted pairs are linked in the cross-reference under one canonical id, so the sync
that follows updates them instead of creating a second copy; candidate pairs go to the
review queue and their records wait; records with bad data are listed with their field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from causeway.canonical.party import AddressRole, Customer
from causeway.connectors.contract import Connector, RawRecord
from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingError
from causeway.mapping.loader import MappingCatalog
from causeway.sync.matching import Candidate, MatchThresholds, match
from causeway.sync.reconcile import read_all
from causeway.sync.review import MatchReviews
from causeway.sync.xref import Xref


@dataclass
class InitialMatchReport:
    """What the initial match found and did."""

    left_records: int = 0
    right_records: int = 0
    linked: int = 0
    already_linked: int = 0
    for_review: int = 0
    unmatched_left: int = 0
    unmatched_right: int = 0
    invalid: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts for people and logs."""
        return {
            "left_records": self.left_records,
            "right_records": self.right_records,
            "linked": self.linked,
            "already_linked": self.already_linked,
            "for_review": self.for_review,
            "unmatched_left": self.unmatched_left,
            "unmatched_right": self.unmatched_right,
            "invalid": len(self.invalid),
        }


def candidate_of(record_id: str, customer: Customer) -> Candidate:
    """What matching compares of a canonical customer."""
    address = customer.address(AddressRole.BILLING) or (
        customer.addresses[0] if customer.addresses else None
    )
    if address is None:
        return Candidate(
            key=record_id,
            name=customer.party.name,
            tax_id=customer.tax_ids[0].value if customer.tax_ids else "",
            phone=customer.phone or "",
        )
    street = " ".join(part for part in (address.street, address.house_number) if part)
    return Candidate(
        key=record_id,
        name=customer.party.name,
        street=street,
        postal_code=address.postal_code or "",
        city=address.city or "",
        country=address.country or "",
        tax_id=customer.tax_ids[0].value if customer.tax_ids else "",
        phone=customer.phone or "",
    )


def _candidates(
    records: list[RawRecord], mapping: CompiledMapping, report: InitialMatchReport
) -> list[Candidate]:
    found: list[Candidate] = []
    for record in records:
        try:
            customer = mapping.to_canonical(record.fields)
        except MappingError as error:
            report.invalid.append(f"{record.system} {record.id}: {error.describe()}")
            continue
        if isinstance(customer, Customer):
            found.append(candidate_of(record.id, customer))
    return found


async def initial_match(
    database: Engine,
    left: tuple[Connector, CompiledMapping],
    right: tuple[Connector, CompiledMapping],
    thresholds: MatchThresholds | None = None,
) -> InitialMatchReport:
    """Link the customers both systems hold; queue the doubtful pairs for review."""
    (left_connector, left_mapping), (right_connector, right_mapping) = left, right
    report = InitialMatchReport()
    left_records = await read_all(left_connector, left_mapping.object_name)
    right_records = await read_all(right_connector, right_mapping.object_name)
    report.left_records, report.right_records = len(left_records), len(right_records)
    with database.begin() as connection:
        xref = Xref(connection)
        left_system, right_system = left_connector.system, right_connector.system
        # Records linked by an earlier run stay as they are; only the rest are matched.
        open_left = [
            r for r in left_records if xref.canonical_id("customer", left_system, r.id) is None
        ]
        open_right = [
            r for r in right_records if xref.canonical_id("customer", right_system, r.id) is None
        ]
        report.already_linked = len(left_records) - len(open_left)
        result = match(
            _candidates(open_left, left_mapping, report),
            _candidates(open_right, right_mapping, report),
            thresholds,
        )
        for pair in result.accepted:
            canonical_id, _ = xref.ensure("customer", left_system, pair.left)
            xref.link("customer", canonical_id, right_system, pair.right, by="match")
            report.linked += 1
        reviews = MatchReviews(connection)
        for pair in result.review:
            reviews.propose("customer", left_system, right_system, pair)
        report.for_review = len(result.review)
        report.unmatched_left = len(result.unmatched_left)
        report.unmatched_right = len(result.unmatched_right)
    return report


async def link_by_key(
    database: Engine,
    entity: str,
    left: tuple[Connector, CompiledMapping],
    right: tuple[Connector, CompiledMapping],
    key: str,
) -> InitialMatchReport:
    """Link records whose canonical `key` (e.g. a product's sku) is equal on both sides."""
    (left_connector, left_mapping), (right_connector, right_mapping) = left, right
    report = InitialMatchReport()
    read = [
        (await read_all(connector, mapping.object_name), mapping)
        for connector, mapping in ((left_connector, left_mapping), (right_connector, right_mapping))
    ]
    with database.begin() as connection:
        xref = Xref(connection)
        # Mapped with the cross-reference: a contact's customer resolves through it.
        sides = [_keyed(records, mapping, key, xref, report) for records, mapping in read]
        report.left_records, report.right_records = len(sides[0]), len(sides[1])
        for value, left_id in sides[0].items():
            right_id = sides[1].get(value)
            if right_id is None:
                report.unmatched_left += 1
                continue
            if xref.canonical_id(entity, right_connector.system, right_id) is not None:
                report.already_linked += 1
                continue
            canonical_id, _ = xref.ensure(entity, left_connector.system, left_id)
            xref.link(entity, canonical_id, right_connector.system, right_id, by="key")
            report.linked += 1
        report.unmatched_right = len(set(sides[1]) - set(sides[0]))
    return report


def _keyed(
    records: list[RawRecord],
    mapping: CompiledMapping,
    key: str,
    xref: Xref,
    report: InitialMatchReport,
) -> dict[str, str]:
    """Record ids by their (normalised) key value; records without one, or sharing one, are
    left to the sync and listed."""
    keyed: dict[str, str] = {}
    for record in records:
        try:
            value = mapping.to_canonical_data(record.fields, xref=xref).get(key)
        except MappingError as error:
            report.invalid.append(f"{record.system} {record.id}: {error.describe()}")
            continue
        if value in (None, ""):
            continue
        text = str(value).strip().lower()
        if text in keyed:
            report.invalid.append(f"{record.system} {record.id}: {key} {value} is not unique")
            continue
        keyed[text] = record.id
    return keyed


async def link_products_by_sku(
    database: Engine, salesforce: Connector, s4: Connector, catalog: MappingCatalog
) -> InitialMatchReport:
    """Link the Salesforce and S/4HANA products that share a SKU (the shipped default)."""
    return await link_by_key(
        database,
        "product",
        (salesforce, catalog.get("salesforce", "Product2", "product")),
        (s4, catalog.get("s4hana", "A_Product", "product")),
        "sku",
    )
