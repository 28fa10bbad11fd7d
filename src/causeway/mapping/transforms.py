"""Named transforms (`transform: sap_date`): small, total functions from one value to another.

Transforms run only on present values (None short-circuits), may be chained, and raise
ValueError or TypeError on bad input; the compiler turns that into a TransformError naming
the file, line, field and record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from causeway.canonical.codes import normalise_country, normalise_currency

Transform = Callable[[Any], Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SAP_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")


def sap_datetime(value: Any) -> datetime:
    """OData v2 `/Date(1700000000000)/` or `/Date(ms+0060)/` to an aware datetime."""
    match = _SAP_DATE.match(str(value).strip())
    if match is None:
        raise ValueError("expected /Date(milliseconds)/")
    instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
    if match.group(2):
        minutes = int(match.group(3)) * (-1 if match.group(2) == "-" else 1)
        return instant.astimezone(timezone(timedelta(minutes=minutes)))
    return instant


def sap_date(value: Any) -> date:
    """OData v2 `/Date(ms)/` of an Edm.DateTime holding a calendar day, to that day."""
    return sap_datetime(value).astimezone(UTC).date()


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        text = str(value).strip()
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a datetime without time zone is ambiguous")
    return moment


def to_sap_date(value: Any) -> str:
    """A date, aware datetime or ISO string to OData v2 `/Date(ms)/` (days at midnight UTC)."""
    delta = _as_datetime(value) - _EPOCH
    milliseconds = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return f"/Date({milliseconds})/"


def iso_date(value: Any) -> str:
    """A date, datetime or ISO string to 'YYYY-MM-DD' (Salesforce date fields)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 text (including Salesforce's `+0000`) to an aware datetime."""
    return _as_datetime(value)


def sf_datetime(value: Any) -> str:
    """An aware datetime or ISO string to Salesforce's `2024-01-31T09:30:00.000+0000`."""
    moment = _as_datetime(value).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def to_decimal(value: Any) -> Decimal:
    """A number or numeric text ('1 234.50' is refused) to a Decimal, never via binary float."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("not a decimal number") from exc
    if not result.is_finite():
        raise ValueError("not a finite number")
    return result


def decimal_text(value: Any) -> str:
    """A number to plain decimal text without exponent, as OData v2 sends Edm.Decimal."""
    return format(to_decimal(value), "f")


def json_number(value: Any) -> int | float:
    """A decimal to a JSON number (int when integral), for APIs such as Salesforce REST."""
    number = to_decimal(value)
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def to_int(value: Any) -> int:
    """Integer text ('000010') or an integral number to int."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not an integer")
    return int(number)


def to_text(value: Any) -> str:
    """Any scalar to text; enumeration members give their value."""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def to_bool(value: Any) -> bool:
    """true/false, 1/0, X/blank (SAP flags) to a boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "x", "yes"):
        return True
    if text in ("false", "0", "", "no"):
        return False
    raise ValueError("not a boolean")


def blank_to_null(value: Any) -> Any:
    """Empty or blank text to None: OData v2 sends '' where a field is simply not set."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def negate(value: Any) -> bool:
    """Logical not, for flags that mean the opposite on the other side (blocked vs active)."""
    return not to_bool(value)


_HOUSE_NUMBER = re.compile(r"^(?P<street>.*\S)\s+(?P<number>\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)$")
_LEADING_NUMBER = re.compile(r"^(?P<number>\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)\s+(?P<street>\S.*)$")
NUMBER_FIRST_COUNTRIES: Final = frozenset({"US", "CA", "GB", "IE", "AU", "NZ", "FR", "LU"})
"""Where the house number is written before the street ('221B Baker Street')."""


def _split(value: Any) -> tuple[str, str | None]:
    # Number first ('123 Main Street') is tried before number last ('Hauptstrasse 12a'),
    # the order ERPs use when they split a single street line.
    text = str(value).strip()
    leading = _LEADING_NUMBER.match(text)
    if leading:
        return leading.group("street"), leading.group("number")
    trailing = _HOUSE_NUMBER.match(text)
    if trailing:
        return trailing.group("street"), trailing.group("number")
    return text, None


def street_name(value: Any) -> str:
    """'Hauptstrasse 12a' or '12a Main Street' -> the street; a line without number is kept."""
    return _split(value)[0]


def street_line(street: Any = None, number: Any = None, country: Any = None) -> str | None:
    """Street and house number as one line, in the order the country writes them."""
    parts = [str(part).strip() for part in (street, number) if part not in (None, "")]
    if len(parts) == 2 and str(country or "").upper() in NUMBER_FIRST_COUNTRIES:
        parts.reverse()
    return " ".join(parts) or None


def house_number(value: Any) -> str | None:
    """'Hauptstrasse 12a' or '12a Main Street' -> '12a'; None when there is no house number."""
    return _split(value)[1]


TRANSFORMS: Final[Mapping[str, Transform]] = MappingProxyType(
    {
        "strip": lambda v: str(v).strip(),
        "upper": lambda v: str(v).upper(),
        "lower": lambda v: str(v).lower(),
        "str": to_text,
        "int": to_int,
        "bool": to_bool,
        "not": negate,
        "decimal": to_decimal,
        "decimal_str": decimal_text,
        "number": json_number,
        "blank_to_null": blank_to_null,
        "country": lambda v: normalise_country(str(v)),
        "currency": lambda v: normalise_currency(str(v)),
        "sap_date": sap_date,
        "sap_datetime": sap_datetime,
        "to_sap_date": to_sap_date,
        "date": iso_date,
        "datetime": parse_datetime,
        "sf_datetime": sf_datetime,
        "street_name": street_name,
        "house_number": house_number,
    }
)
"""Every transform a mapping may name, by name."""
