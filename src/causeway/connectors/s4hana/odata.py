"""OData v2 values on the wire: `$filter` built from values, `/Date()/` and `PT..` decoded.

Filters are composed from checked property names and rendered literals, so a customer
named `O'Brien` or a hostile value can never change the meaning of a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*$")
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})

Value = str | int | Decimal | bool | datetime | date | time | UUID | None


class ODataError(ValueError):
    """A filter could not be built: the name or value is not allowed."""


def property_name(name: str) -> str:
    """Return `name` if it is a valid property path, else raise."""
    if not _NAME.match(name):
        raise ODataError(f"not an OData property name: {name!r}")
    return name


def literal(value: Value) -> str:
    """Render a value as an OData v2 URI literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"datetime'{value.isoformat(timespec='seconds')}'"
        moment = value.astimezone(UTC).replace(tzinfo=None)
        return f"datetimeoffset'{moment.isoformat(timespec='milliseconds')}Z'"
    if isinstance(value, date):
        return f"datetime'{value.isoformat()}T00:00:00'"
    if isinstance(value, time):
        return f"time'PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S'"
    if isinstance(value, UUID):
        return f"guid'{value}'"
    if isinstance(value, Decimal):
        return f"{value}M"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ODataError(f"cannot render {type(value).__name__} as an OData literal")


@dataclass(frozen=True)
class Filter:
    """A `$filter` expression; combine with `&` and `|`."""

    text: str

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"({self.text} and {other.text})")

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"({self.text} or {other.text})")


def compare(name: str, operator: str, value: Value) -> Filter:
    """`name operator value`, e.g. compare("LastChangeDateTime", "gt", moment)."""
    if operator not in _OPERATORS:
        raise ODataError(f"not an OData comparison operator: {operator!r}")
    return Filter(f"{property_name(name)} {operator} {literal(value)}")


def any_of(name: str, values: Iterable[Value]) -> Filter:
    """`name eq a or name eq b ...` (OData v2 has no IN)."""
    parts = [compare(name, "eq", value).text for value in values]
    if not parts:
        raise ODataError(f"any_of({name!r}) needs at least one value")
    return Filter(f"({' or '.join(parts)})")


def starts_with(name: str, prefix: str) -> Filter:
    """`startswith(name, 'prefix')`."""
    return Filter(f"startswith({property_name(name)},{literal(prefix)})")


def parse_datetime(value: object) -> datetime | None:
    """`/Date(ms)/` or `/Date(ms+0000)/` (or ISO text) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    text = str(value)
    match = _DATE.match(text)
    if match is None:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    millis = int(match.group(1))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


def parse_time(value: object) -> time | None:
    """`PT10H30M00S` as a time of day."""
    if value is None or value == "":
        return None
    match = _DURATION.match(str(value))
    if match is None:
        raise ODataError(f"not an OData time: {value!r}")
    hours, minutes, seconds = (float(group or 0) for group in match.groups())
    whole = int(seconds)
    return time(int(hours), int(minutes), whole, round((seconds - whole) * 1_000_000))


def format_datetime(moment: datetime) -> str:
    """An aware datetime as `/Date(ms)/` for request bodies."""
    millis = int(moment.astimezone(UTC).timestamp() * 1000)
    return f"/Date({millis})/"
