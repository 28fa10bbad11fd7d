"""OData v2 JSON ("verbose") encoding of primitive values, as SAP Gateway writes and reads them.

Edm.DateTime is "/Date(ms)/", Edm.DateTimeOffset "/Date(ms+0000)/", Edm.Time "PT10H30M00S"
and Edm.Decimal a string, so that no value loses precision on the way through JavaScript.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from causeway.sandbox.erp.model import Edm, Property

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_PATTERN = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_DURATION_PATTERN = re.compile(
    r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.IGNORECASE
)


class ValueFormatError(ValueError):
    """A JSON value that does not match its property's EDM type."""

    def __init__(self, prop: Property, raw: object, expected: str) -> None:
        super().__init__(
            f"Property '{prop.name}' has invalid value {raw!r}: expected {expected}"
        )
        self.prop = prop


def date_to_json(moment: datetime) -> str:
    """Edm.DateTime as /Date(ms)/ (milliseconds since the epoch, UTC)."""
    return f"/Date({_millis(moment)})/"


def datetimeoffset_to_json(moment: datetime) -> str:
    """Edm.DateTimeOffset as /Date(ms+0000)/, always normalised to UTC like SAP does."""
    return f"/Date({_millis(moment)}+0000)/"


def time_to_json(value: time) -> str:
    """Edm.Time as an ISO 8601 duration since midnight: PT10H30M00S."""
    return f"PT{value.hour:02d}H{value.minute:02d}M{value.second:02d}S"


def parse_json_date(raw: str) -> datetime:
    """Parse /Date(ms)/ or /Date(ms+hhmm)/; the offset only annotates, ms is UTC already."""
    match = _DATE_PATTERN.match(raw)
    if match is None:
        raise ValueError(f"{raw!r} is not /Date(<ms>)/")
    return EPOCH + timedelta(milliseconds=int(match.group(1)))


def parse_duration(raw: str) -> time:
    """Parse an Edm.Time duration (PT10H30M00S) into a time of day."""
    match = _DURATION_PATTERN.match(raw)
    if match is None or raw.upper() in ("P", "PT"):
        raise ValueError(f"{raw!r} is not an ISO 8601 duration")
    days, hours, minutes, seconds = match.groups()
    total = timedelta(
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )
    if total >= timedelta(days=1):
        raise ValueError(f"{raw!r} is not a time of day")
    return (datetime.min + total).time()


def _millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def format_decimal(prop: Property, value: Decimal) -> str:
    """A decimal as a string with the property's scale, as ABAP packed numbers print."""
    if prop.scale is None:
        return format(value, "f")
    return format(value.quantize(Decimal(1).scaleb(-prop.scale)), "f")


def to_json(prop: Property, value: Any) -> Any:
    """Encode one typed value of `prop` for the wire."""
    if value is None:
        return None
    match prop.type:
        case Edm.DECIMAL:
            return format_decimal(prop, value)
        case Edm.DATETIME:
            return date_to_json(value)
        case Edm.DATETIMEOFFSET:
            return datetimeoffset_to_json(value)
        case Edm.TIME:
            return time_to_json(value)
        case Edm.GUID:
            return str(value)
        case _:
            return value


def from_json(prop: Property, raw: Any) -> Any:
    """Decode a wire value of `prop` into its typed form; raises `ValueFormatError`."""
    if raw is None:
        return None
    try:
        return _decode(prop, raw)
    except (ValueError, TypeError, InvalidOperation) as error:
        raise ValueFormatError(prop, raw, _expected(prop)) from error


def _decode(prop: Property, raw: Any) -> Any:
    match prop.type:
        case Edm.STRING:
            if not isinstance(raw, str):
                raise TypeError("not a string")
            return raw
        case Edm.BOOLEAN:
            if not isinstance(raw, bool):
                raise TypeError("not a boolean")
            return raw
        case Edm.DECIMAL:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise TypeError("not a number")
            number = Decimal(str(raw))
            if not number.is_finite():
                raise ValueError("not finite")
            return number
        case Edm.INT32:
            if isinstance(raw, bool) or not isinstance(raw, int | str):
                raise TypeError("not an integer")
            return int(raw)
        case Edm.DOUBLE:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise TypeError("not a number")
            return float(raw)
        case Edm.DATETIME | Edm.DATETIMEOFFSET:
            return _decode_moment(prop, raw)
        case Edm.TIME:
            if not isinstance(raw, str):
                raise TypeError("not a duration")
            return parse_duration(raw)
        case Edm.GUID:
            return uuid.UUID(str(raw))
    raise TypeError(f"unsupported type {prop.type}")


def _decode_moment(prop: Property, raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise TypeError("not a date")
    if raw.startswith("/Date("):
        moment = parse_json_date(raw)
    else:
        # SAP Gateway also accepts ISO 8601 in JSON payloads.
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if prop.display_format == "Date":
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def _expected(prop: Property) -> str:
    return {
        Edm.STRING: "a string",
        Edm.BOOLEAN: "true or false",
        Edm.DECIMAL: "a decimal number",
        Edm.INT32: "an integer",
        Edm.DOUBLE: "a number",
        Edm.DATETIME: "/Date(<ms>)/",
        Edm.DATETIMEOFFSET: "/Date(<ms>+0000)/",
        Edm.TIME: "a duration like PT10H30M00S",
        Edm.GUID: "a GUID",
    }[prop.type]
