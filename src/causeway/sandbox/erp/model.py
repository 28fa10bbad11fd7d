"""Declarative OData v2 entity model: one definition per service drives metadata and runtime.

The $metadata document, JSON encoding, input validation, $filter typing and the store all read
the same `ServiceModel`, so what a client is told and what the server does cannot disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack


class Edm(StrEnum):
    """The EDM primitive types the sandbox services use."""

    STRING = "Edm.String"
    DECIMAL = "Edm.Decimal"
    DATETIME = "Edm.DateTime"
    DATETIMEOFFSET = "Edm.DateTimeOffset"
    TIME = "Edm.Time"
    BOOLEAN = "Edm.Boolean"
    GUID = "Edm.Guid"
    INT32 = "Edm.Int32"
    DOUBLE = "Edm.Double"


@dataclass(frozen=True)
class Property:
    """One structural property with the facets and SAP annotations of the real service."""

    name: str
    type: Edm
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    creatable: bool = True
    updatable: bool = True
    label: str = ""
    display_format: str | None = None
    unit: str | None = None
    semantics: str | None = None
    concurrency: bool = False
    filterable: bool = True
    sortable: bool = True


@dataclass(frozen=True)
class Navigation:
    """A navigation property; `join` pairs source properties with target properties."""

    name: str
    target_set: str
    many: bool
    join: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EntityType:
    """An entity type together with its (single) entity set, as SAP's API services expose them."""

    name: str
    entity_set: str
    label: str
    keys: tuple[str, ...]
    properties: tuple[Property, ...]
    navigations: tuple[Navigation, ...] = ()
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True
    required: tuple[str, ...] = ()
    _by_name: dict[str, Property] = field(default_factory=dict, init=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({prop.name: prop for prop in self.properties})
        missing = [key for key in self.keys if key not in self._by_name]
        if missing:
            raise ValueError(f"{self.name}: key properties {missing} are not declared")

    def prop(self, name: str) -> Property | None:
        """The property called `name`, or None."""
        return self._by_name.get(name)

    def navigation(self, name: str) -> Navigation | None:
        """The navigation property called `name`, or None."""
        return next((nav for nav in self.navigations if nav.name == name), None)

    @property
    def concurrency_property(self) -> Property | None:
        """The property whose value is the entity's ETag, if the type has one."""
        return next((prop for prop in self.properties if prop.concurrency), None)


@dataclass(frozen=True)
class ServiceModel:
    """One OData service: its technical name, URL path segment and entity types."""

    name: str
    path: str
    entity_types: tuple[EntityType, ...]
    version: str = "0001"

    @property
    def namespace(self) -> str:
        """The schema namespace, which SAP sets to the service name."""
        return self.name

    @property
    def container(self) -> str:
        """The name of the default entity container."""
        return f"{self.name}_Entities"

    def entity_set(self, name: str) -> EntityType | None:
        """The entity type behind entity set `name`, or None."""
        return next((typ for typ in self.entity_types if typ.entity_set == name), None)

    def qualified(self, entity: EntityType) -> str:
        """The namespace-qualified type name used in __metadata.type."""
        return f"{self.namespace}.{entity.name}"


def association_name(entity: EntityType, navigation: Navigation) -> str:
    """A stable association name shaped like SAP's generated `assoc_<32 hex>` names."""
    digest = hashlib.md5(  # noqa: S324 - a name, not a security measure
        f"{entity.name}/{navigation.name}".encode()
    ).hexdigest()
    return f"assoc_{digest.upper()}"


# Short constructors keep the service definitions as readable as the SAP documentation.


class Facets(TypedDict, total=False):
    """Optional facets and annotations a constructor passes through to `Property`."""

    nullable: bool
    creatable: bool
    updatable: bool
    label: str
    display_format: str
    unit: str
    semantics: str
    concurrency: bool
    filterable: bool
    sortable: bool


def text(name: str, length: int | None, **facets: Unpack[Facets]) -> Property:
    """An Edm.String property with MaxLength."""
    return Property(name, Edm.STRING, max_length=length, **facets)


def upper(name: str, length: int, **facets: Unpack[Facets]) -> Property:
    """An Edm.String code property SAP displays in upper case."""
    facets.setdefault("display_format", "UpperCase")
    return Property(name, Edm.STRING, max_length=length, **facets)


def decimal(name: str, precision: int, scale: int, **facets: Unpack[Facets]) -> Property:
    """An Edm.Decimal property with Precision and Scale."""
    return Property(name, Edm.DECIMAL, precision=precision, scale=scale, **facets)


def date(name: str, **facets: Unpack[Facets]) -> Property:
    """An Edm.DateTime property holding a calendar date (sap:display-format="Date")."""
    facets.setdefault("display_format", "Date")
    return Property(name, Edm.DATETIME, precision=0, **facets)


def timestamp(name: str, **facets: Unpack[Facets]) -> Property:
    """An Edm.DateTimeOffset property with SAP's long UTC timestamp precision."""
    return Property(name, Edm.DATETIMEOFFSET, precision=7, **facets)


def clock_time(name: str, **facets: Unpack[Facets]) -> Property:
    """An Edm.Time property (a time of day)."""
    return Property(name, Edm.TIME, precision=0, **facets)


def flag(name: str, **facets: Unpack[Facets]) -> Property:
    """An Edm.Boolean property."""
    return Property(name, Edm.BOOLEAN, **facets)

