"""Builders of the closures a compiled rule runs: producers, transforms, value maps, checks.

Each builder captures everything it needs at load time (getters, parsed expressions, the
rule's context for errors) so the closure does the least possible work per record.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from causeway.mapping.compiled import SKIP, Producer, RuleSet, Scope
from causeway.mapping.errors import (
    ExpressionEvaluationError,
    MappingApplyError,
    MissingRequiredError,
    RuleContext,
    TransformError,
    UnmappedValueError,
    UnresolvedLookupError,
)
from causeway.mapping.expressions import CompiledExpression
from causeway.mapping.paths import FieldPath, Getter
from causeway.mapping.transforms import Transform
from causeway.mapping.xref import XrefLookup

_MISSING = object()


def value_key(value: Any) -> str:
    """How a value is looked up in a value map, whose keys are always the text written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class ValueMap:
    """A compiled value map: table lookups, then `otherwise`, else UnmappedValueError."""

    name: str
    table: Mapping[str, Any]
    has_otherwise: bool
    otherwise: Any
    keep_unmapped: bool = False

    def translate(self, value: Any, context: RuleContext) -> Any:
        """The mapped value of `value`."""
        found = self.table.get(value_key(value), _MISSING)
        if found is not _MISSING:
            return found
        if self.has_otherwise:
            return self.otherwise
        if self.keep_unmapped:
            return value
        raise UnmappedValueError(context, value, self.name)


def from_source(getter: Getter, path: FieldPath) -> Producer:
    """Read a path from the element, or from the top-level record for `$root.` paths."""
    if path.from_root:
        return lambda element, scope: getter(scope.root)
    if len(path.segments) == 1 and isinstance(path.segments[0], str):
        key = path.segments[0]

        def read_key(element: Any, scope: Scope) -> Any:
            # The common case, a plain field of a dict, without a second call.
            if type(element) is dict:
                return element.get(key)
            return getter(element)

        return read_key
    return lambda element, scope: getter(element)


def from_join(getters: Sequence[tuple[Getter, bool]], separator: str) -> Producer:
    """Join the present, non-blank values of several paths (street and house number)."""

    def produce(element: Any, scope: Scope) -> Any:
        parts = []
        for getter, from_root in getters:
            value = getter(scope.root if from_root else element)
            if value is not None and value != "":
                parts.append(value if isinstance(value, str) else str(value))
        return separator.join(parts) if parts else None

    return produce


def from_constant(value: Any) -> Producer:
    """A fixed value; lists and dicts are copied so records never share them."""
    if isinstance(value, list | dict):
        return lambda element, scope: copy.deepcopy(value)
    return lambda element, scope: value


def from_expression(expression: CompiledExpression, context: RuleContext) -> Producer:
    """Evaluate JSONata; any failure becomes an ExpressionEvaluationError for this field."""

    def produce(element: Any, scope: Scope) -> Any:
        try:
            return expression.evaluate(element, scope.root)
        except Exception as exc:  # JSONata raises bare RuntimeErrors and our functions' errors
            raise ExpressionEvaluationError(
                f"expression {expression.text!r} failed: {exc}", context
            ) from exc

    return produce


@dataclass(frozen=True, slots=True)
class LookupTarget:
    """Which cross-reference question a lookup asks."""

    entity: str
    from_system: str
    to_system: str


def from_lookup(
    getter: Getter, *, from_root: bool, target: LookupTarget, required: bool, context: RuleContext
) -> Producer:
    """Translate an id through the cross-reference; a required miss is UnresolvedLookupError."""

    def produce(element: Any, scope: Scope) -> Any:
        source_id = getter(scope.root if from_root else element)
        if source_id is None or source_id == "":
            return None
        xref: XrefLookup | None = scope.xref
        if xref is None:
            raise MappingApplyError("this mapping needs a cross-reference lookup", context)
        found = xref.resolve(target.entity, target.from_system, str(source_id), target.to_system)
        if found is None and required:
            raise UnresolvedLookupError(
                context,
                entity=target.entity,
                from_system=target.from_system,
                from_id=str(source_id),
                to_system=target.to_system,
            )
        return found

    return produce


def from_each(getter: Getter, *, from_root: bool, rules: RuleSet, context: RuleContext) -> Producer:
    """Map every element of a list (an OData `{"results": [...]}` counts as its list)."""

    def produce(element: Any, scope: Scope) -> Any:
        items = getter(scope.root if from_root else element)
        if isinstance(items, dict) and "results" in items:
            items = items["results"]
        if items is None:
            return None
        if not isinstance(items, list):
            raise MappingApplyError(f"expected a list, got {type(items).__name__}", context)
        out = []
        for index, item in enumerate(items):
            try:
                out.append(rules.build(item, scope))
            except MappingApplyError as exc:
                exc.relocate(field=f"{context.field}[{index}].{exc.field}")
                raise
        return out

    return produce


def refine(
    raw: Producer,
    *,
    transforms: Sequence[tuple[str, Transform]],
    value_map: ValueMap | None,
    has_default: bool,
    default: Any,
    required: bool,
    context: RuleContext,
) -> Producer:
    """Wrap a producer with transforms, value map, default and the required check."""
    if not transforms and value_map is None and not has_default and not required:
        return raw

    def produce(element: Any, scope: Scope) -> Any:
        value = raw(element, scope)
        if value is not None:
            for name, transform in transforms:
                try:
                    value = transform(value)
                except (ValueError, TypeError, ArithmeticError) as exc:
                    raise TransformError(context, name, value, str(exc)) from exc
                if value is None:
                    break
            if value is not None and value_map is not None:
                value = value_map.translate(value, context)
        if value is None:
            if has_default:
                return copy.deepcopy(default) if isinstance(default, list | dict) else default
            if required:
                raise MissingRequiredError("required value is missing", context)
        return value

    return produce


def only_when(produce: Producer, getter: Getter, *, from_root: bool) -> Producer:
    """Apply the rule only when the `when` path holds a value; otherwise write nothing."""

    def guarded(element: Any, scope: Scope) -> Any:
        condition = getter(scope.root if from_root else element)
        if condition is None or condition == "":
            return SKIP
        return produce(element, scope)

    return guarded
