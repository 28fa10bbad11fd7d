"""Write validation: turn a client's JSON record into stored values or Salesforce errors.

Every check a real org makes on insert and update that integrations trip over is here:
unknown and read-only fields, types, lengths, required fields, restricted picklists and
references, each answered with the error code and message Salesforce uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Protocol

from causeway.sandbox.crm.catalog import CATALOG
from causeway.sandbox.crm.errors import ErrorItem, SalesforceError
from causeway.sandbox.crm.ids import MalformedIdError, prefix_of, to_18
from causeway.sandbox.crm.schema import FieldDef, SObjectDef
from causeway.sandbox.crm.values import canonical_date, canonical_datetime

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class References(Protocol):
    """What validation needs to know about other records."""

    def status(self, record_id: str) -> tuple[str, bool] | None:
        """(sObject name, is deleted) of the record with this 18-character id, or None."""

    def find_external(self, sobject: str, field: str, value: Any) -> list[str]:
        """Ids of live `sobject` records whose external id `field` equals `value`."""


def _fail(code: str, message: str, field: FieldDef | str | None = None) -> SalesforceError:
    name = field.name if isinstance(field, FieldDef) else field
    return SalesforceError(400, [ErrorItem(code, message, (name,) if name else ())])


def _parser_error(field: FieldDef, value: Any) -> SalesforceError:
    kind = {"int": "int", "boolean": "boolean", "currency": "double", "double": "double",
            "percent": "double"}.get(field.type, field.type)
    token = {bool: "VALUE_TRUE" if value else "VALUE_FALSE", str: "VALUE_STRING",
             dict: "START_OBJECT", list: "START_ARRAY"}.get(type(value), "VALUE_NUMBER_INT")
    return _fail("JSON_PARSER_ERROR",
                 f"Cannot deserialize instance of {kind} from {token} value {value} "
                 "or request may be missing a required field", field)


def coerce(field: FieldDef, value: Any, refs: References) -> Any:
    """The stored form of `value` for `field`, or a SalesforceError as a real org answers."""
    if value is None:
        return False if field.type == "boolean" else None
    if isinstance(value, dict | list):
        raise _parser_error(field, value)
    kind = field.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _parser_error(field, value)
    if kind in ("currency", "double", "percent", "int"):
        return _number(field, value)
    if kind in ("date", "datetime"):
        if not isinstance(value, str):
            raise _parser_error(field, value)
        try:
            return canonical_date(value) if kind == "date" else canonical_datetime(value)
        except ValueError:
            raise _fail("INVALID_TYPE_ON_FIELD_IN_RECORD",
                        f"{field.display_label}: value not of required type: {value}",
                        field) from None
    if isinstance(value, bool):
        raise _parser_error(field, value)
    text = value if isinstance(value, str) else str(value)
    if kind in ("reference", "id"):
        return _reference(field, text, refs) if text else None
    if text == "":
        return None
    if field.length and len(text) > field.length:
        raise _fail("STRING_TOO_LONG", f"{field.display_label}: data value too large: "
                    f"{text} (max length={field.length})", field)
    if kind == "email" and not _EMAIL.match(text):
        raise _fail("INVALID_EMAIL_ADDRESS",
                    f"{field.display_label}: invalid email address: {text}", field)
    if kind == "picklist" and field.restricted_picklist and text not in field.picklist_values:
        raise _fail("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{field.display_label}: bad value for restricted picklist field: {text}",
                    field)
    return text


def _number(field: FieldDef, value: Any) -> float | int:
    if isinstance(value, bool):
        raise _parser_error(field, value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _parser_error(field, value) from None
    else:
        number = float(value)
    if not math.isfinite(number) or abs(number) >= 10 ** max(field.precision - field.scale, 1):
        raise _fail("NUMBER_OUTSIDE_VALID_RANGE",
                    f"{field.display_label}: value outside of valid range on numeric field: "
                    f"{value}", field)
    if field.type == "int":
        if not number.is_integer():
            raise _parser_error(field, value)
        return int(number)
    return round(number, field.scale) if field.type == "currency" else number


def _reference(field: FieldDef, text: str, refs: References) -> str:
    try:
        record_id = to_18(text)
    except MalformedIdError:
        raise _fail("MALFORMED_ID", f"{field.display_label}: id value of incorrect type: "
                    f"{text}", field) from None
    status = refs.status(record_id)
    if status is None:
        if prefix_of(record_id) not in _prefixes(field):
            raise _fail("FIELD_INTEGRITY_EXCEPTION",
                        f"{field.display_label}: id value of incorrect type: {text}", field)
        raise _fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", field)
    sobject, deleted = status
    if sobject not in field.reference_to:
        raise _fail("FIELD_INTEGRITY_EXCEPTION",
                    f"{field.display_label}: id value of incorrect type: {text}", field)
    if deleted:
        raise _fail("ENTITY_IS_DELETED", "entity is deleted", field)
    return record_id


def _prefixes(field: FieldDef) -> set[str]:
    found = set()
    for target in field.reference_to:
        definition = CATALOG.get(target)
        if definition is not None:
            found.add(definition.key_prefix)
    return found


def _foreign_key(field: FieldDef, value: Any, refs: References) -> str:
    target_name = field.reference_to[0]
    target = CATALOG.get(target_name)
    if not isinstance(value, dict) or target is None:
        raise _parser_error(field, value)
    keys = [key for key in value if key != "attributes"]
    external = target.field(keys[0]) if len(keys) == 1 else None
    if external is None or not external.external_id:
        raise _fail("INVALID_FIELD", f"Foreign key reference to {target.name} needs exactly "
                    f"one external id field, not {keys}", field)
    matches = refs.find_external(target.name, external.name, value[keys[0]])
    if not matches:
        raise _fail("INVALID_FIELD", f"Foreign key external ID: {value[keys[0]]} not found "
                    f"for field {external.name} in entity {target.name}", field)
    if len(matches) > 1:
        raise _fail("INVALID_FIELD", f"Foreign key external ID: {value[keys[0]]} matched more "
                    f"than one record for field {external.name} in entity {target.name}", field)
    return matches[0]


def validate_write(obj: SObjectDef, payload: Mapping[str, Any], *, creating: bool,
                   refs: References) -> dict[str, Any]:
    """Stored values for a create (`creating`) or an update of `obj`, or a SalesforceError."""
    values: dict[str, Any] = {}
    read_only: list[str] = []
    for key, raw in payload.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            relationship = obj.relationship(key)
            if relationship is not None and isinstance(raw, dict):
                field, raw = relationship, _foreign_key(relationship, raw, refs)
            else:
                raise _fail("INVALID_FIELD",
                            f"No such column '{key}' on sobject of type {obj.name}", key)
        if not (field.createable if creating else field.updateable):
            read_only.append(field.name)
            continue
        values[field.name] = coerce(field, raw, refs)
    if read_only:
        raise _fail_many("INVALID_FIELD_FOR_INSERT_UPDATE",
                         f"Unable to create/update fields: {', '.join(read_only)}. Please check "
                         "the security settings of this field and verify that it is read/write "
                         "for your profile or permission set.", read_only)
    missing = [
        field.name for field in obj.fields.values()
        if field.required and (values.get(field.name) is None)
        and (creating or field.name in values)
    ]
    if missing:
        raise _fail_many("REQUIRED_FIELD_MISSING",
                         f"Required fields are missing: [{', '.join(missing)}]", missing)
    return values


def _fail_many(code: str, message: str, fields: list[str]) -> SalesforceError:
    return SalesforceError(400, [ErrorItem(code, message, tuple(fields))])
