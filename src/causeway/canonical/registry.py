"""Every canonical object by name: the one place mappings and commands look types up."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from causeway.canonical.base import CanonicalObject
from causeway.canonical.errors import UnknownCanonicalTypeError
from causeway.canonical.fulfilment import Delivery, Invoice, Payment
from causeway.canonical.party import Contact, Customer
from causeway.canonical.product import PriceListEntry, Product
from causeway.canonical.sales import Quote, SalesOrder
from causeway.canonical.service import ReturnAuthorization, ServiceCase

_TYPES: tuple[type[CanonicalObject], ...] = (
    Customer,
    Contact,
    Product,
    PriceListEntry,
    Quote,
    SalesOrder,
    Delivery,
    Invoice,
    Payment,
    ServiceCase,
    ReturnAuthorization,
)

CANONICAL_TYPES: Final[Mapping[str, type[CanonicalObject]]] = MappingProxyType(
    {cls.SCHEMA.name: cls for cls in _TYPES}
)
"""Canonical object classes by schema name ('customer', 'sales_order', ...)."""


def canonical_type(name: str, version: int | None = None) -> type[CanonicalObject]:
    """The class for a schema name, optionally checking the version a caller was written for."""
    cls = CANONICAL_TYPES.get(name)
    if cls is None:
        raise UnknownCanonicalTypeError(name, CANONICAL_TYPES)
    if version is not None and version != cls.SCHEMA.version:
        raise UnknownCanonicalTypeError(
            f"{name}.v{version}", (str(c.SCHEMA) for c in CANONICAL_TYPES.values())
        )
    return cls
