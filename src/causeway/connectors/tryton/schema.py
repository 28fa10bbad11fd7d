"""Tryton objects as the server describes them through `model.<name>.fields_get`.

The description drives what polling reads (stored fields plus a few nested lines), which
field carries the deterministic reference for idempotent writes, and how a validation
message's field label maps back to a field name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from causeway.connectors.contract import ObjectSchema
from causeway.connectors.errors import FatalError
from causeway.connectors.tryton.client import TrytonClient

# The char field holding our deterministic reference, for objects where one exists.
REFERENCE_FIELDS: dict[str, str] = {
    "party.party": "code",
    "product.template": "code",
    "sale.sale": "reference",
}

# Lines read along with their parent so one change carries the whole document.
NESTED_FIELDS: dict[str, tuple[str, ...]] = {
    "party.party": (
        "addresses.party_name",
        "addresses.street_unstructured",
        "addresses.street_name",
        "addresses.building_number",
        "addresses.postal_code",
        "addresses.city",
        "addresses.country",
        "addresses.subdivision",
        "addresses.invoice",
        "addresses.delivery",
        "contact_mechanisms.type",
        "contact_mechanisms.value",
        "contact_mechanisms.name",
        "identifiers.type",
        "identifiers.code",
    ),
    # A template's name is translatable, so Tryton loads it lazily: ask for it.
    "product.template": ("name", "products.code", "products.suffix_code", "products.active"),
    "sale.sale": (
        "lines.type",
        "lines.sequence",
        "lines.product",
        "lines.description",
        "lines.quantity",
        "lines.unit",
        "lines.unit_price",
    ),
}

CHANGE_FIELDS = ("id", "create_date", "write_date")


@dataclass(frozen=True)
class TrytonObject:
    """An object's fields as `fields_get` reports them, with what the connector derives."""

    name: str
    definitions: dict[str, dict[str, Any]]

    @property
    def labels(self) -> dict[str, str]:
        """Field name to the label Tryton uses in its messages."""
        return {name: str(spec.get("string", name)) for name, spec in self.definitions.items()}

    @property
    def reference_field(self) -> str | None:
        """The char field holding our deterministic reference, if the object has one."""
        candidate = REFERENCE_FIELDS.get(self.name)
        if candidate and self.is_reference(candidate):
            return candidate
        return None

    def read_fields(self) -> list[str]:
        """Stored (eagerly loaded) fields, change-detection fields and nested lines."""
        stored = [
            name
            for name, spec in self.definitions.items()
            if spec.get("loading") == "eager" and spec.get("type") != "binary"
        ]
        nested = [
            path
            for path in NESTED_FIELDS.get(self.name, ())
            if path.split(".", 1)[0] in self.definitions
        ]
        return sorted({*CHANGE_FIELDS, *stored}) + nested

    def is_reference(self, field: str) -> bool:
        """True for a writable char field, the only kind that can hold our reference."""
        return self.definitions.get(field, {}).get("type") == "char" and self.writable(field)

    def writable(self, field: str) -> bool:
        """True when the field exists and the server does not mark it read-only."""
        spec = self.definitions.get(field)
        return spec is not None and not spec.get("readonly", False)

    def to_schema(self) -> ObjectSchema:
        """The contract's view: field types, id key, reference field and required fields."""
        reference = self.reference_field
        return ObjectSchema(
            name=self.name,
            fields={name: str(spec.get("type", "")) for name, spec in self.definitions.items()},
            key_fields=("id",),
            external_id_fields=(reference,) if reference else (),
            required_fields=tuple(
                sorted(
                    name
                    for name, spec in self.definitions.items()
                    if spec.get("required") and not spec.get("readonly")
                )
            ),
        )


async def fetch_object(client: TrytonClient, name: str) -> TrytonObject:
    """Ask the server for every field of `name`."""
    definitions = await client.execute(name, "fields_get", None)
    if not isinstance(definitions, dict) or not definitions:
        raise FatalError(
            "fields_get answered no field definitions", system=client.system, object_name=name
        )
    return TrytonObject(name, definitions)
