"""Field values on the wire and at rest: dates, datetimes and numbers as Salesforce writes them.

Records keep JSON-native values; dates are `YYYY-MM-DD` and datetimes are UTC in
Salesforce's `2024-01-31T10:00:00.000+0000` form, so both sort correctly as strings.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def format_datetime(moment: datetime) -> str:
    """A datetime in the form the REST API returns, always in UTC."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 datetime as clients send it; naive values are UTC."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"not a datetime: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                      int(second or 0), micro, tzinfo=UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return moment


def parse_date(text: str) -> date:
    """Parse a `YYYY-MM-DD` date."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(f"not a date: {text!r}")
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def canonical_datetime(text: str) -> str:
    """A client's datetime string in the stored form."""
    return format_datetime(parse_datetime(text))


def canonical_date(text: str) -> str:
    """A client's date string in the stored form; a datetime is cut to its date."""
    if "T" in text:
        return parse_datetime(text).date().isoformat()
    return parse_date(text).isoformat()


def start_of_day(day: date) -> str:
    """The stored form of midnight UTC at the start of `day`."""
    return format_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))
