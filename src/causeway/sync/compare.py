"""Comparing what a system holds with what we wrote or expect it to hold.

Systems hand values back in their own shapes: numbers as floats, strings or Decimals,
nested entities wrapped in `{"results": [...]}` and carrying more properties than were
written, blanks as "" or null. Only what the expected value says is compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _comparable(value: Any) -> Any:
    # Systems hand back numbers as floats, strings or Decimals; compare them by text.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return str(float(value))
    try:
        return str(float(value)) if isinstance(value, str) and value.strip() else value
    except ValueError:
        return value


def covers(current: Any, wanted: Any) -> bool:
    """True when `current` holds everything `wanted` says, compared as systems hand values
    back (numbers as text, blanks alike, nested entities with more properties)."""
    # Nested entities come back wrapped ({"results": [...]} in OData v2) and with more
    # properties than were written; only what the payload says is compared.
    if isinstance(current, Mapping) and "results" in current and isinstance(wanted, list):
        current = current["results"]
    if isinstance(wanted, Mapping):
        return isinstance(current, Mapping) and all(
            covers(current.get(name), value) for name, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(current, list)
            and len(current) >= len(wanted)
            and all(covers(have, want) for have, want in zip(current, wanted, strict=False))
        )
    if wanted in (None, "") and current in (None, ""):
        return True
    return bool(_comparable(wanted) == _comparable(current))
