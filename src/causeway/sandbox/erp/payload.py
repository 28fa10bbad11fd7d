"""Validate and decode request bodies: types, lengths, precision, mandatory fields, deep inserts.

Read-only properties (sap:creatable/updatable="false") are dropped silently, as SAP Gateway
does: a client may send back what it read, and the server keeps its own computed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from causeway.sandbox.erp.errors import bad_request, invalid_value
from causeway.sandbox.erp.model import Edm, EntityType, Property, ServiceModel
from causeway.sandbox.erp.odata_json import ValueFormatError, from_json
from causeway.sandbox.erp.store import Record

Mode = Literal["create", "update"]


@dataclass
class Payload:
    """Decoded values of one entity, plus deep-inserted children per navigation property."""

    values: Record
    children: dict[str, list[Payload]] = field(default_factory=dict)


def _check_facets(entity: EntityType, prop: Property, value: Any) -> None:
    if value is None:
        return
    if prop.type == Edm.STRING and prop.max_length is not None and len(value) > prop.max_length:
        raise invalid_value(
            entity.entity_set,
            prop.name,
            f"Value '{value}' is too long for property '{prop.name}' "
            f"(maximum length {prop.max_length})",
        )
    if prop.type == Edm.DECIMAL and isinstance(value, Decimal):
        _, digits, exponent = value.as_tuple()
        scale = max(0, -int(exponent))
        integer_digits = max(0, len(digits) - scale)
        if prop.scale is not None and scale > prop.scale:
            raise invalid_value(
                entity.entity_set, prop.name,
                f"Value {value} of property '{prop.name}' has more than {prop.scale} decimals",
            )
        if (
            prop.precision is not None
            and prop.scale is not None
            and integer_digits > prop.precision - prop.scale
        ):
            raise invalid_value(
                entity.entity_set, prop.name,
                f"Value {value} of property '{prop.name}' exceeds precision {prop.precision}",
            )


def decode_payload(
    service: ServiceModel, entity: EntityType, body: Any, mode: Mode
) -> Payload:
    """Decode a JSON object for `entity`; raises 400 `ODataError` naming the property at fault."""
    if not isinstance(body, dict):
        raise bad_request(f"The request body for '{entity.entity_set}' must be a JSON object")
    values: Record = {}
    children: dict[str, list[Payload]] = {}
    for name, raw in body.items():
        if name == "__metadata":
            continue
        nav = entity.navigation(name)
        if nav is not None:
            target = service.entity_set(nav.target_set)
            if target is None or mode != "create":
                raise bad_request(f"Navigation property '{name}' cannot be written here")
            items = raw.get("results") if isinstance(raw, dict) and "results" in raw else raw
            items = items if isinstance(items, list) else [items]
            children[name] = [decode_payload(service, target, item, "create") for item in items]
            continue
        prop = entity.prop(name)
        if prop is None:
            raise invalid_value(
                entity.entity_set, name,
                f"Property '{name}' is invalid: it does not exist in type '{entity.name}'",
            )
        writable = prop.creatable if mode == "create" else prop.updatable
        if not writable and name not in entity.keys:
            continue
        try:
            value = from_json(prop, raw)
        except ValueFormatError as error:
            raise invalid_value(entity.entity_set, name, str(error)) from error
        _check_facets(entity, prop, value)
        values[name] = value
    return Payload(values, children)


def require(entity: EntityType, record: Record, names: tuple[str, ...] | None = None) -> None:
    """Raise 400 naming the first mandatory property that has no value."""
    for name in names if names is not None else entity.required:
        value = record.get(name)
        if value is None or value == "":
            raise invalid_value(
                entity.entity_set, name, f"Property '{name}' is mandatory for '{entity.entity_set}'"
            )
