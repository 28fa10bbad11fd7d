"""Value maps at load time: resolve shared maps and check them against canonical enumerations.

An inbound map must only produce values the canonical enumeration knows; an outbound map
must cover every value of the enumeration it reads, unless it says what to do otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from causeway.canonical.fields import enum_type
from causeway.mapping.rules import ValueMap
from causeway.mapping.spec import FieldSpec, ValueMapSpec


class UnknownValueMapError(LookupError):
    """A field names a shared value map the file does not define."""


def build_value_map(spec: FieldSpec, shared: Mapping[str, ValueMapSpec]) -> ValueMap | None:
    """The value map of a field (inline or shared), with the field's own fallback applied."""
    if spec.values is None:
        return None
    if isinstance(spec.values, str):
        named = shared.get(spec.values)
        if named is None:
            raise UnknownValueMapError(f"unknown value map {spec.values!r}")
        value_map = ValueMap(
            spec.values, named.values, named.has_otherwise, named.otherwise, named.keep_unmapped
        )
    else:
        value_map = ValueMap("inline", spec.values, False, None)
    if spec.has_otherwise or spec.keep_unmapped:
        value_map = ValueMap(
            value_map.name,
            value_map.table,
            spec.has_otherwise,
            spec.otherwise,
            spec.keep_unmapped,
        )
    return value_map


def enumeration_problems(
    value_map: ValueMap, target_type: Any | None, source_type: Any | None
) -> list[str]:
    """What is wrong with a value map given the canonical types it writes or reads."""
    problems: list[str] = []
    target_enum = None if target_type is None else enum_type(target_type)
    if target_enum is not None:
        allowed = {str(member.value) for member in target_enum}
        outputs = list(value_map.table.values())
        if value_map.has_otherwise:
            outputs.append(value_map.otherwise)
        wrong = sorted({str(v) for v in outputs if v is not None and str(v) not in allowed})
        if wrong:
            problems.append(
                f"value map gives {', '.join(wrong)}, not values of {target_enum.__name__} "
                f"({', '.join(sorted(allowed))})"
            )
    source_enum = None if source_type is None else enum_type(source_type)
    if source_enum is not None and not (value_map.has_otherwise or value_map.keep_unmapped):
        missing = sorted(str(m.value) for m in source_enum if str(m.value) not in value_map.table)
        if missing:
            problems.append(
                f"value map misses {source_enum.__name__} values {', '.join(missing)} "
                "and has no `otherwise`"
            )
    return problems
