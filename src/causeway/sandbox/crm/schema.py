"""The shape of sObjects and their fields, as the describe calls and validation see them.

Objects are declared once (see `catalog`) and everything else (describe, write validation,
SOQL name resolution) reads these definitions, so the three cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

FieldType = Literal[
    "id", "string", "picklist", "reference", "currency", "double", "percent", "int", "date",
    "datetime", "boolean", "email", "phone", "url", "textarea",
]

SOAP_TYPES: Mapping[str, str] = {
    "id": "tns:ID", "reference": "tns:ID", "string": "xsd:string", "picklist": "xsd:string",
    "email": "xsd:string", "phone": "xsd:string", "url": "xsd:string", "textarea": "xsd:string",
    "currency": "xsd:double", "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int",
    "date": "xsd:date", "datetime": "xsd:dateTime", "boolean": "xsd:boolean",
}
TEXT_TYPES = frozenset({"id", "string", "picklist", "reference", "email", "phone", "url",
                        "textarea"})
NUMBER_TYPES = frozenset({"currency", "double", "percent", "int"})


@dataclass(frozen=True)
class FieldDef:
    """One field: its type and what callers may do with it."""

    name: str
    type: FieldType
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    default: Any = None
    external_id: bool = False
    unique: bool = False
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    name_field: bool = False
    auto_number: bool = False
    calculated: bool = False
    custom: bool = False

    @property
    def required(self) -> bool:
        """Must a caller supply a value on create (no default, no null)?"""
        return not self.nillable and self.createable and self.default is None

    @property
    def display_label(self) -> str:
        """The label, or one derived from the API name."""
        if self.label:
            return self.label
        return self.name.removesuffix("__c").removesuffix("Id").replace("_", " ")


@dataclass(frozen=True)
class ChildRelationship:
    """A reverse lookup: records of `child` pointing at this object through `field`."""

    child: str
    field: str
    relationship_name: str | None


@dataclass
class SObjectDef:
    """One sObject: name, key prefix and fields in declaration order."""

    name: str
    key_prefix: str
    label: str
    label_plural: str
    fields: dict[str, FieldDef]
    createable: bool = True
    custom: bool = False
    children: list[ChildRelationship] = field(default_factory=list)
    _lower: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    _relationships: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lower = {name.lower(): definition for name, definition in self.fields.items()}
        self._relationships = {
            definition.relationship_name.lower(): definition
            for definition in self.fields.values()
            if definition.relationship_name
        }

    def field(self, name: str) -> FieldDef | None:
        """The field called `name`; API names are case-insensitive as in Salesforce."""
        return self._lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field behind the parent relationship `name` (e.g. Account)."""
        return self._relationships.get(name.lower())

    @property
    def external_ids(self) -> list[FieldDef]:
        """Fields usable for upsert and get-by-external-id."""
        return [f for f in self.fields.values() if f.external_id]

    @property
    def unique_fields(self) -> list[FieldDef]:
        """Fields whose values may not repeat across live records."""
        return [f for f in self.fields.values() if f.unique]


class Catalog:
    """All sObjects of the org, looked up by name (case-insensitive) or key prefix."""

    def __init__(self, objects: Iterable[SObjectDef]) -> None:
        self._by_name = {obj.name.lower(): obj for obj in objects}
        self._by_prefix = {obj.key_prefix: obj for obj in self._by_name.values()}
        for obj in self._by_name.values():
            for definition in obj.fields.values():
                for target in definition.reference_to:
                    parent = self._by_name.get(target.lower())
                    if parent is not None and obj.createable:
                        parent.children.append(
                            ChildRelationship(obj.name, definition.name, _child_name(obj))
                        )

    def get(self, name: str) -> SObjectDef | None:
        """The sObject called `name`, in any letter case."""
        return self._by_name.get(name.lower())

    def by_prefix(self, prefix: str) -> SObjectDef | None:
        """The sObject whose ids start with `prefix`."""
        return self._by_prefix.get(prefix)

    def __iter__(self) -> Any:
        return iter(self._by_name.values())


def _child_name(obj: SObjectDef) -> str:
    if obj.custom:
        return obj.label_plural.replace(" ", "_") + "__r"
    return obj.label_plural.replace(" ", "")
