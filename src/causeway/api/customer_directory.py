"""Who a customer is in each system, from Causeway's own store: cross-references and golden records.

Quote validation and account 360 take a Salesforce account id, an ERP customer number or a
canonical id; the cross-reference store links them, the golden record holds what Causeway
believes of the customer. Reads only, each on its own short connection; callers on the event
loop run them in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine

from causeway.sync.golden import GoldenStore
from causeway.sync.xref import Xref

KeyKind = Literal["salesforce", "erp", "causeway"]
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
ERP_CUSTOMER = re.compile(r"^[A-Z0-9]{1,10}$")
CANONICAL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_MERGE_HOPS = 5
"""Merged records point at their survivor; a longer chain than this is a loop."""


def key_kind(key: str) -> KeyKind | None:
    """What a key is, by its shape: an ERP number has at most 10 characters, a Salesforce id
    15 or 18, a canonical id is a UUID. None when it is none of them."""
    if ERP_CUSTOMER.match(key):
        return "erp"
    if SALESFORCE_ID.match(key):
        return "salesforce"
    if CANONICAL_ID.match(key.lower()):
        return "causeway"
    return None


@dataclass(frozen=True)
class Identity:
    """One canonical customer and its record id in each linked system."""

    canonical_id: str
    links: dict[str, str]


@dataclass(frozen=True)
class GoldenView:
    """The golden record: merged fields, where each came from, version and state."""

    canonical_id: str
    data: dict[str, Any]
    sources: dict[str, list[str]]
    version: int
    state: str


class CustomerDirectory:
    """Looks customers up in the store; `crm` and `erp` are the systems' names in the xref."""

    def __init__(
        self,
        engine: Engine,
        *,
        entity: str = "customer",
        crm: str = "salesforce",
        erp: str = "s4hana",
    ) -> None:
        self.engine = engine
        self.entity = entity
        self.crm = crm
        self.erp = erp

    def by_system(self, system: str, system_id: str) -> Identity | None:
        """The customer linked to a system's record, if Causeway knows it."""
        with self.engine.connect() as connection:
            canonical = Xref(connection).canonical_id(self.entity, system, system_id)
            if canonical is None:
                return None
            return self._identity(connection, canonical)

    def by_canonical(self, canonical_id: str) -> Identity | None:
        """The customer with this canonical id (or the one it was merged into), if known."""
        with self.engine.connect() as connection:
            return self._identity(connection, canonical_id.lower())

    def golden(self, canonical_id: str) -> GoldenView | None:
        """The golden record, or None before the first sync wrote one."""
        with self.engine.connect() as connection:
            golden = GoldenStore(connection).load(self.entity, canonical_id)
        if golden.version == 0:
            return None
        return GoldenView(
            canonical_id, golden.data, golden.sources, golden.version, golden.state
        )

    def _identity(self, connection: Any, canonical_id: str) -> Identity | None:
        goldens = GoldenStore(connection)
        current = canonical_id
        for _ in range(MAX_MERGE_HOPS):
            golden = goldens.load(self.entity, current)
            if golden.state != "merged" or not golden.merged_into:
                break
            current = golden.merged_into
        links = Xref(connection).links(self.entity, current)
        if not links and golden.version == 0:
            return None
        return Identity(current, links)
