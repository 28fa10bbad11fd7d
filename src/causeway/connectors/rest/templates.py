"""URL path templates such as `/api/tickets/{id}`, filled with URL-encoded values only.

A record id or external value is data from another system: it is percent-encoded as one
path segment (slashes, `?`, `#` and dot segments included), so no value can reach another
endpoint, add a query or climb the path.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Set
from urllib.parse import quote

ID = "id"
EXTERNAL_FIELD = "external_field"
EXTERNAL_VALUE = "external_value"
PLACEHOLDERS = frozenset({ID, EXTERNAL_FIELD, EXTERNAL_VALUE})


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` in a template; raises ValueError on broken braces."""
    names: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or spec or conversion:
            raise ValueError(f"placeholders are plain names such as {{id}}: {template!r}")
        names.add(name)
    return names


def check_template(
    template: str, *, required: Set[str] = frozenset(), allowed: Set[str] = PLACEHOLDERS
) -> str:
    """Validate a path template for one role: it must start with / and use known names."""
    if not template.startswith("/"):
        raise ValueError(f"a path starts with '/': {template!r}")
    names = placeholders(template)
    unknown = sorted(names - set(allowed))
    if unknown:
        usable = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; usable here: {usable}")
    missing = sorted(set(required) - names)
    if missing:
        raise ValueError(f"the path must contain {{{missing[0]}}}")
    return template


def segment(value: str) -> str:
    """One path segment, percent-encoded; `.` and `..` are encoded too, so they stay data."""
    if value == "":
        raise ValueError("an empty value cannot fill a path segment")
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded


def fill_path(template: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced by its encoded value."""
    return template.format_map({name: segment(str(value)) for name, value in values.items()})


def fill_param(template: str, values: Mapping[str, str]) -> str:
    """A query parameter template filled with raw values: httpx encodes query values itself."""
    return template.format_map(dict(values))
