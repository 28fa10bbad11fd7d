"""SOQL evaluation: resolve names against the schema, then filter, sort and project records.

Name errors are answered exactly as Salesforce words them (INVALID_FIELD, INVALID_TYPE),
since integrations log and sometimes parse these messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.ids import MalformedIdError, to_18
from causeway.sandbox.crm.schema import TEXT_TYPES, Catalog, FieldDef, SObjectDef
from causeway.sandbox.crm.soql import (
    Condition,
    CountField,
    FieldRef,
    InList,
    Junction,
    Like,
    Negation,
    Query,
    Value,
    located_error,
)
from causeway.sandbox.crm.values import canonical_datetime, start_of_day

Record = dict[str, Any]
Lookup = Callable[[str], Record | None]
Predicate = Callable[[Record], bool]
MAX_OFFSET = 2000


@dataclass(frozen=True)
class Column:
    """A selected or filtered path resolved to the relationships it crosses."""

    ref: FieldRef
    hops: tuple[tuple[str, FieldDef], ...]  # (relationship name, reference field) per level
    targets: tuple[SObjectDef, ...]  # the sObject reached after each hop
    field: FieldDef

    def read(self, record: Record | None, lookup: Lookup) -> Any:
        """The value at the end of the path, None when a parent on the way is missing."""
        for _, reference in self.hops:
            if record is None:
                return None
            parent_id = record.get(reference.name)
            record = lookup(parent_id) if parent_id else None
        return None if record is None else record.get(self.field.name)


@dataclass(frozen=True)
class Plan:
    """A query checked against the schema, ready to run many times."""

    query: Query
    sobject: SObjectDef
    columns: tuple[Column, ...]
    counts: tuple[tuple[str, Column], ...]
    predicate_of: Callable[[datetime, Lookup], Predicate] | None
    order: tuple[tuple[Column, bool, bool], ...]


class Planner:
    """Checks a parsed query against the catalog and builds its plan."""

    def __init__(self, catalog: Catalog, soql: str) -> None:
        self.catalog = catalog
        self.soql = soql

    def error(self, code: str, ref: FieldRef | None, column: int, message: str) -> SalesforceError:
        line = ref.line if ref else 1
        return located_error(code, self.soql, line, ref.column if ref else column, message)

    def plan(self, query: Query) -> Plan:
        """The plan of `query`, or INVALID_TYPE / INVALID_FIELD / MALFORMED_QUERY."""
        sobject = self.catalog.get(query.sobject)
        if sobject is None or not sobject.name:
            raise self.error("INVALID_TYPE", None, query.sobject_column, (
                f"sObject type '{query.sobject}' is not supported. If you are attempting to use"
                " a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names."))
        columns = tuple(self.column(sobject, f) for f in query.fields if isinstance(f, FieldRef))
        counts = tuple(
            (f.alias or f"expr{index}", self.column(sobject, f.field))
            for index, f in enumerate(x for x in query.fields if isinstance(x, CountField))
        )
        if counts and columns:
            raise self.error("MALFORMED_QUERY", columns[0].ref, 0,
                             f"Field must be grouped or aggregated: {columns[0].ref.text}")
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SalesforceError.of(400, "NUMBER_OUTSIDE_VALID_RANGE",
                                     f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        predicate = None
        if query.where is not None:
            where = query.where
            self._check(sobject, where)
            predicate = lambda now, lookup: self._predicate(sobject, where, now, lookup)  # noqa: E731
        order = tuple((self.column(sobject, item.field), item.descending, item.nulls_last)
                      for item in query.order_by)
        return Plan(query, sobject, columns, counts, predicate, order)

    def column(self, sobject: SObjectDef, ref: FieldRef) -> Column:
        """Resolve a path such as Account.Parent.Name from `sobject`."""
        path = ref.path
        if len(path) > 1 and path[0].lower() == sobject.name.lower():
            path = path[1:]
        hops: list[tuple[str, FieldDef]] = []
        targets: list[SObjectDef] = []
        current = sobject
        for name in path[:-1]:
            reference = current.relationship(name)
            target = self.catalog.get(reference.reference_to[0]) if reference else None
            if reference is None or target is None:
                raise self.error("INVALID_FIELD", ref, 0, (
                    f"Didn't understand relationship '{name}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r' after "
                    "the custom relationship name. Please reference your WSDL or the describe "
                    "call for the appropriate names."))
            hops.append((reference.relationship_name or name, reference))
            targets.append(target)
            current = target
        field = current.field(path[-1])
        if field is None:
            raise self.error("INVALID_FIELD", ref, 0, (
                f"No such column '{path[-1]}' on entity '{current.name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field name."
                " Please reference your WSDL or the describe call for the appropriate names."))
        return Column(ref, tuple(hops), tuple(targets), field)

    def _check(self, sobject: SObjectDef, condition: Condition) -> None:
        if isinstance(condition, Junction):
            for item in condition.items:
                self._check(sobject, item)
        elif isinstance(condition, Negation):
            self._check(sobject, condition.item)
        else:
            column = self.column(sobject, condition.field)
            values = (condition.values if isinstance(condition, InList) else
                      (condition.pattern if isinstance(condition, Like) else condition.value,))
            for value in values:
                self._literal(column, value, isinstance(condition, Like))

    def _literal(self, column: Column, value: Value, like: bool) -> None:
        kind, field, ref = column.field.type, column.field, column.ref
        if like and kind not in TEXT_TYPES:
            raise self.error("INVALID_FIELD", ref, 0, (
                f"invalid operator on {kind} field: {field.name}"))
        if value.kind == "null":
            return
        expected = {"boolean": ("boolean",), "date": ("date", "date_literal"),
                    "datetime": ("datetime", "date_literal")}.get(
            kind, ("number",) if kind in ("currency", "double", "percent", "int") else ("string",))
        if value.kind not in expected:
            type_name = {"datetime": "dateTime", "currency": "double", "percent": "double",
                         "textarea": "string", "picklist": "string", "email": "string",
                         "phone": "string", "url": "string", "reference": "id"}.get(kind, kind)
            quoting = "should be enclosed" if expected[0] == "string" else "should not be enclosed"
            shape = f"{type_name} and {quoting} in quotes"
            raise self.error("INVALID_FIELD", ref, 0, (
                f"value of filter criterion for field '{field.name}' must be of type {shape}"))
        if kind in ("id", "reference") and value.kind == "string":
            try:
                to_18(str(value.value))
            except MalformedIdError:
                raise self.error("INVALID_QUERY_FILTER_OPERATOR", ref, 0,
                                 f"invalid ID field: {value.value}") from None

    def _predicate(self, sobject: SObjectDef, condition: Condition, now: datetime,
                   lookup: Lookup) -> Predicate:
        if isinstance(condition, Junction):
            parts = [self._predicate(sobject, item, now, lookup) for item in condition.items]
            if condition.operator == "AND":
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if isinstance(condition, Negation):
            inner = self._predicate(sobject, condition.item, now, lookup)
            return lambda r: not inner(r)
        column = self.column(sobject, condition.field)
        read = _reader(column, lookup)
        if isinstance(condition, Like):
            pattern = like_regex(condition.pattern.raw)
            return lambda r: (v := read(r)) is not None and pattern.fullmatch(str(v)) is not None
        if isinstance(condition, InList):
            wanted = {_normal(column.field, v, now) for v in condition.values}
            if condition.negated:
                return lambda r: read(r) not in wanted
            return lambda r: read(r) in wanted
        return _compare(read, condition.operator, column.field, condition.value, now)


def _reader(column: Column, lookup: Lookup) -> Callable[[Record], Any]:
    name = column.field.name
    folds = column.field.type in TEXT_TYPES and column.field.type not in ("id", "reference")
    if not column.hops:
        if folds:
            return lambda r: None if (v := r.get(name)) is None else str(v).lower()
        return lambda r: r.get(name)
    if folds:
        return lambda r: None if (v := column.read(r, lookup)) is None else str(v).lower()
    return lambda r: column.read(r, lookup)


def _normal(field: FieldDef, value: Value, now: datetime) -> Any:
    if value.kind == "null":
        return None
    if field.type in ("id", "reference"):
        return to_18(str(value.value))
    if field.type in TEXT_TYPES:
        return str(value.value).lower()
    if value.kind == "datetime":
        return canonical_datetime(str(value.value))
    if value.kind == "date_literal":
        start, _ = date_range(value.value, now)
        return start.isoformat()
    return value.value


def _compare(read: Callable[[Record], Any], operator: str, field: FieldDef, value: Value,
             now: datetime) -> Predicate:
    if value.kind == "date_literal":
        start, end = date_range(value.value, now)
        low, high = ((start.isoformat(), end.isoformat()) if field.type == "date"
                     else (start_of_day(start), start_of_day(end)))
        tests: dict[str, Callable[[Any], bool]] = {
            "=": lambda v: low <= v < high, "!=": lambda v: not low <= v < high,
            "<": lambda v: v < low, "<=": lambda v: v < high,
            ">": lambda v: v >= high, ">=": lambda v: v >= low,
        }
        test = tests[operator]
        return lambda r: (v := read(r)) is not None and test(v)
    target = _normal(field, value, now)
    if operator == "=":
        return lambda r: read(r) == target
    if operator == "!=":
        return lambda r: read(r) != target
    if target is None:
        return lambda r: False
    ordered: dict[str, Callable[[Any], bool]] = {
        "<": lambda v: v < target, "<=": lambda v: v <= target,
        ">": lambda v: v > target, ">=": lambda v: v >= target,
    }
    check = ordered[operator]
    return lambda r: (v := read(r)) is not None and check(v)


def like_regex(raw: str) -> re.Pattern[str]:
    """A case-insensitive regex for a LIKE pattern body (escapes as written in SOQL)."""
    parts: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            escaped = raw[index + 1]
            literal = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}.get(escaped, escaped)
            parts.append(re.escape(literal))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def date_range(literal: tuple[str, int], now: datetime) -> tuple[date, date]:
    """[start, end) of a date literal such as TODAY or LAST_N_DAYS:7, in UTC days."""
    name, amount = literal
    today = now.astimezone(UTC).date()
    day = timedelta(days=1)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    month_start = today.replace(day=1)
    ranges: dict[str, tuple[date, date]] = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (month_start, _add_months(month_start, 1)),
        "LAST_MONTH": (_add_months(month_start, -1), month_start),
        "NEXT_MONTH": (_add_months(month_start, 1), _add_months(month_start, 2)),
        "THIS_YEAR": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "LAST_N_DAYS": (today - amount * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (amount + 1) * day),
        "N_DAYS_AGO": (today - amount * day, today - (amount - 1) * day),
        "LAST_N_MONTHS": (_add_months(month_start, -amount), month_start),
        "NEXT_N_MONTHS": (_add_months(month_start, 1), _add_months(month_start, amount + 1)),
    }
    return ranges[name]


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def select(plan: Plan, records: Iterable[Record], now: datetime, lookup: Lookup) -> list[Record]:
    """The matching records in result order, before LIMIT and OFFSET."""
    predicate = plan.predicate_of(now, lookup) if plan.predicate_of else None
    matched = [r for r in records if predicate is None or predicate(r)]
    for column, descending, nulls_last in reversed(plan.order):
        read = _reader(column, lookup)
        null_rank = 0 if nulls_last == descending else 2

        def key(record: Record, read: Callable[[Record], Any] = read,
                null_rank: int = null_rank) -> tuple[int, Any]:
            value = read(record)
            return (null_rank, 0) if value is None else (1, value)

        matched.sort(key=key, reverse=descending)
    offset = plan.query.offset or 0
    end = None if plan.query.limit is None else offset + plan.query.limit
    return matched[offset:end]
