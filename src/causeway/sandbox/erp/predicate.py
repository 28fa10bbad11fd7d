"""Type-check a parsed $filter against an entity type and compile it into a record predicate.

Type errors (a string compared with a number, an unknown property) are found before any row
is read and reported as 400 with the offending name, as SAP Gateway does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from causeway.sandbox.erp.errors import bad_request
from causeway.sandbox.erp.filter import Call, Compare, Expr, Literal, Logical, Member, Not
from causeway.sandbox.erp.model import Edm, EntityType

Record = dict[str, Any]
Evaluator = Callable[[Record], Any]

# Type families: values of one family compare with each other.
_FAMILY_OF_EDM = {
    Edm.STRING: "string",
    Edm.DECIMAL: "number",
    Edm.INT32: "number",
    Edm.DOUBLE: "number",
    Edm.DATETIME: "moment",
    Edm.DATETIMEOFFSET: "moment",
    Edm.TIME: "time",
    Edm.BOOLEAN: "bool",
    Edm.GUID: "guid",
}
_FAMILY_OF_LITERAL = {
    "string": "string",
    "decimal": "number",
    "double": "number",
    "int": "number",
    "datetime": "moment",
    "datetimeoffset": "moment",
    "time": "time",
    "bool": "bool",
    "guid": "guid",
    "null": "null",
}
_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
# name -> (argument families, result family, implementation)
_FUNCTIONS: dict[str, tuple[tuple[str, ...], str, Callable[..., Any]]] = {
    "substringof": (("string", "string"), "bool", lambda needle, hay: needle in hay),
    "startswith": (("string", "string"), "bool", lambda hay, prefix: hay.startswith(prefix)),
    "endswith": (("string", "string"), "bool", lambda hay, suffix: hay.endswith(suffix)),
    "tolower": (("string",), "string", str.lower),
    "toupper": (("string",), "string", str.upper),
    "trim": (("string",), "string", str.strip),
    "length": (("string",), "number", len),
    "indexof": (("string", "string"), "number", lambda hay, needle: hay.find(needle)),
    "concat": (("string", "string"), "string", lambda left, right: left + right),
    "year": (("moment",), "number", lambda moment: moment.year),
    "month": (("moment",), "number", lambda moment: moment.month),
    "day": (("moment",), "number", lambda moment: moment.day),
    "hour": (("moment",), "number", lambda moment: moment.hour),
    "minute": (("moment",), "number", lambda moment: moment.minute),
    "second": (("moment",), "number", lambda moment: moment.second),
}


def compile_filter(expr: Expr, entity: EntityType) -> Callable[[Record], bool]:
    """A predicate over records of `entity`; raises `ODataError` (400) on type errors."""
    evaluate, family = _compile(expr, entity)
    if family != "bool":
        raise bad_request(
            "Invalid filter: the expression is not a condition", target="$filter",
            entity=entity.entity_set,
        )
    return lambda record: evaluate(record) is True


def _compile(expr: Expr, entity: EntityType) -> tuple[Evaluator, str]:
    match expr:
        case Literal(value=value, kind=kind):
            constant = Decimal(str(value)) if kind in ("decimal", "double", "int") else value
            return (lambda _record: constant), _FAMILY_OF_LITERAL[kind]
        case Member(path=path):
            return _member(path, entity)
        case Compare(op=op, left=left, right=right):
            return _comparison(op, left, right, entity)
        case Logical(op=op, operands=operands):
            parts = [_condition(operand, entity) for operand in operands]
            if op == "and":
                return (lambda record: all(part(record) is True for part in parts)), "bool"
            return (lambda record: any(part(record) is True for part in parts)), "bool"
        case Not(operand=operand):
            inner = _condition(operand, entity)
            return (lambda record: not inner(record)), "bool"
        case Call(name=name, args=args):
            return _call(name, args, entity)
    raise bad_request(f"Invalid filter: unsupported expression {expr!r}", target="$filter")


def _condition(expr: Expr, entity: EntityType) -> Evaluator:
    evaluate, family = _compile(expr, entity)
    if family != "bool":
        raise bad_request("Invalid filter: 'and', 'or' and 'not' need conditions", target="$filter")
    return evaluate


def _member(path: tuple[str, ...], entity: EntityType) -> tuple[Evaluator, str]:
    if len(path) > 1:
        raise bad_request(
            f"Invalid filter: navigation path '{'/'.join(path)}' is not filterable here",
            target="$filter", entity=entity.entity_set,
        )
    name = path[0]
    prop = entity.prop(name)
    if prop is None:
        raise bad_request(
            f"Property '{name}' not found in type '{entity.name}'", target=name,
            entity=entity.entity_set,
        )
    if not prop.filterable:
        raise bad_request(f"Property '{name}' is not filterable", target=name)
    if prop.type in (Edm.INT32, Edm.DOUBLE):
        return (lambda record: _as_decimal(record.get(name))), "number"
    return (lambda record: record.get(name)), _FAMILY_OF_EDM[prop.type]


def _as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _comparison(op: str, left: Expr, right: Expr, entity: EntityType) -> tuple[Evaluator, str]:
    left_eval, left_family = _compile(left, entity)
    right_eval, right_family = _compile(right, entity)
    if "null" not in (left_family, right_family) and left_family != right_family:
        raise bad_request(
            f"Invalid filter: operator '{op}' cannot compare {left_family} with {right_family}",
            target="$filter", entity=entity.entity_set,
        )
    if left_family == "bool" and op not in ("eq", "ne"):
        raise bad_request(f"Invalid filter: operator '{op}' does not apply to booleans")
    compare = _COMPARATORS[op]

    def evaluate(record: Record) -> bool:
        left_value, right_value = left_eval(record), right_eval(record)
        if left_value is None or right_value is None:
            # OData null semantics: only (in)equality with null is ever true.
            if op == "eq":
                return left_value is right_value
            if op == "ne":
                return left_value is not right_value
            return False
        if isinstance(left_value, datetime) and isinstance(right_value, datetime):
            return compare(left_value.timestamp(), right_value.timestamp())
        return compare(left_value, right_value)

    return evaluate, "bool"


def _call(name: str, args: tuple[Expr, ...], entity: EntityType) -> tuple[Evaluator, str]:
    signature = _FUNCTIONS.get(name)
    if signature is None:
        raise bad_request(f"Invalid filter: function '{name}' is not supported", target="$filter")
    families, result, implementation = signature
    if len(args) != len(families):
        raise bad_request(
            f"Invalid filter: function '{name}' takes {len(families)} arguments, got {len(args)}",
            target="$filter",
        )
    evaluators = []
    for position, (arg, family) in enumerate(zip(args, families, strict=True), start=1):
        evaluate, actual = _compile(arg, entity)
        if actual not in (family, "null"):
            raise bad_request(
                f"Invalid filter: argument {position} of '{name}' must be {family}, not {actual}",
                target="$filter",
            )
        evaluators.append(evaluate)

    def call(record: Record) -> Any:
        values = [evaluate(record) for evaluate in evaluators]
        if any(value is None for value in values):
            return None
        value = implementation(*values)
        return Decimal(value) if result == "number" else value

    return call, result



def equality_narrowing(expr: Expr, entity: EntityType) -> tuple[str, frozenset[str]] | None:
    """A string property and the values a matching record must hold, if the filter says so.

    `SearchTerm2 eq 'X'`, `BusinessPartner eq 'A' or BusinessPartner eq 'B'`, or either of
    those joined by `and` to anything: the store then reads only those rows instead of the
    whole set, and the full filter still decides. Short codes (a one-letter category) say
    too little to be worth it; keys are preferred. Anything else: None (read everything).
    """
    found = _narrowings(expr, entity)
    if not found:
        return None
    return min(found, key=lambda item: 0 if item[0] in entity.keys else 1)


def _narrowings(expr: Expr, entity: EntityType) -> list[tuple[str, frozenset[str]]]:
    if isinstance(expr, Compare) and expr.op == "eq":
        member, literal = expr.left, expr.right
        if isinstance(literal, Member) and isinstance(member, Literal):
            member, literal = literal, member
        if (
            isinstance(member, Member)
            and len(member.path) == 1
            and isinstance(literal, Literal)
            and literal.kind == "string"
        ):
            prop = entity.prop(member.path[0])
            selective = prop is not None and (prop.max_length is None or prop.max_length > 4)
            if prop is not None and prop.type == Edm.STRING and selective:
                return [(member.path[0], frozenset({str(literal.value)}))]
        return []
    if isinstance(expr, Logical) and expr.op == "and":
        return [found for operand in expr.operands for found in _narrowings(operand, entity)]
    if isinstance(expr, Logical) and expr.op == "or":
        parts = [equality_narrowing(operand, entity) for operand in expr.operands]
        names = {part[0] for part in parts if part is not None}
        if None in parts or len(names) != 1:
            return []
        return [(names.pop(), frozenset().union(*(part[1] for part in parts if part is not None)))]
    return []
