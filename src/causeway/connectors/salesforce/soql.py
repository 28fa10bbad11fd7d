"""SOQL built from values, never from concatenated input: no injection through a name or a filter.

Identifiers are checked against Salesforce's naming rules; literals are rendered with the
escapes SOQL defines (quote, backslash, control characters), dates and date-times in ISO form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

# API names: letters, digits and single underscores, custom suffixes (__c, __r, __e...),
# dotted for parent relationships (Account.Owner.Name).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:__[a-zA-Z]+)?$")
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">=", "LIKE"})

Literal = str | int | Decimal | float | bool | date | datetime | None


class SoqlError(ValueError):
    """A query could not be built: the name or value is not allowed."""


def identifier(name: str) -> str:
    """Return `name` if it is a valid (possibly dotted) API name, else raise."""
    parts = name.split(".")
    if not name or any(not _NAME.match(part) for part in parts):
        raise SoqlError(f"not a Salesforce API name: {name!r}")
    return name


def literal(value: Literal) -> str:
    """Render a Python value as a SOQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{moment.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SoqlError(f"not a finite number: {value!r}")
        return repr(value)
    if isinstance(value, str):
        return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"
    raise SoqlError(f"cannot render {type(value).__name__} as a SOQL literal")


@dataclass(frozen=True)
class Condition:
    """A WHERE clause fragment; combine with `&` and `|`."""

    text: str

    def __and__(self, other: Condition) -> Condition:
        return Condition(f"({self.text} AND {other.text})")

    def __or__(self, other: Condition) -> Condition:
        return Condition(f"({self.text} OR {other.text})")


def compare(name: str, operator: str, value: Literal) -> Condition:
    """`name operator value`, e.g. compare("SystemModstamp", ">", moment)."""
    if operator.upper() not in _OPERATORS:
        raise SoqlError(f"not a SOQL comparison operator: {operator!r}")
    return Condition(f"{identifier(name)} {operator.upper()} {literal(value)}")


def is_in(name: str, values: Iterable[Literal]) -> Condition:
    """`name IN (...)`; an empty list matches nothing, as SOQL itself refuses `IN ()`."""
    rendered = [literal(value) for value in values]
    if not rendered:
        return Condition(f"{identifier(name)} = null AND {identifier(name)} != null")
    return Condition(f"{identifier(name)} IN ({', '.join(rendered)})")


IN_CHUNK = 200
"""Values per `IN (...)` list: a query URL stays well under the limits of Salesforce and
of HTTP clients however many records are asked for."""

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`items` in consecutive lists of at most `size`, for one query (or write) each."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass(frozen=True)
class Query:
    """SELECT fields FROM object [WHERE] [ORDER BY] [LIMIT]."""

    object_name: str
    fields: Sequence[str]
    where: Condition | None = None
    order_by: Sequence[tuple[str, str]] = field(default_factory=tuple)
    limit: int | None = None

    def render(self) -> str:
        """The SOQL text."""
        if not self.fields:
            raise SoqlError(f"a query on {self.object_name} needs at least one field")
        text = f"SELECT {', '.join(identifier(name) for name in self.fields)}"
        text += f" FROM {identifier(self.object_name)}"
        if self.where is not None:
            text += f" WHERE {self.where.text}"
        if self.order_by:
            parts = []
            for name, direction in self.order_by:
                if direction.upper() not in ("ASC", "DESC"):
                    raise SoqlError(f"not a sort direction: {direction!r}")
                parts.append(f"{identifier(name)} {direction.upper()}")
            text += f" ORDER BY {', '.join(parts)}"
        if self.limit is not None:
            if self.limit < 1:
                raise SoqlError(f"LIMIT must be positive, got {self.limit}")
            text += f" LIMIT {int(self.limit)}"
        return text
