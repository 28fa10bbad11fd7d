"""JSON paths into response bodies: `data.items`, `meta.next_cursor`, `links[0].href`, `$`.

A deliberately small language: dotted keys and list indexes, nothing that evaluates. Paths
are parsed when the configuration loads, so a typo fails there and not on the first poll.
"""

from __future__ import annotations

import re
from typing import Any

Segment = str | int

_KEY = r"[A-Za-z0-9_@$\-]+"
_SEGMENT = re.compile(rf"^(?P<key>{_KEY})?(?P<indexes>(\[\d+\])*)$")
_INDEX = re.compile(r"\[(\d+)\]")
_MISSING = object()


def parse_path(path: str) -> tuple[Segment, ...]:
    """Split a path into keys and indexes; `$` (or an empty path) is the body itself."""
    text = path.strip()
    if text in ("$", ""):
        return ()
    if text.startswith("$."):
        text = text[2:]
    segments: list[Segment] = []
    for part in text.split("."):
        match = _SEGMENT.match(part)
        if not part or match is None:
            raise ValueError(f"not a JSON path: {path!r} (use keys and [n], e.g. data.items)")
        if match.group("key"):
            segments.append(match.group("key"))
        segments.extend(int(index) for index in _INDEX.findall(match.group("indexes")))
    return tuple(segments)


def check_path(path: str) -> str:
    """Validator for configuration fields: the path itself when it parses."""
    parse_path(path)
    return path


def find(body: Any, path: str | None, default: Any = None) -> Any:
    """The value at `path`, or `default` when any step is missing."""
    if path is None:
        return body
    current = body
    for segment in parse_path(path):
        current = _step(current, segment)
        if current is _MISSING:
            return default
    return current


def contains(body: Any, path: str) -> bool:
    """True when every step of `path` exists in `body` (the value itself may be null)."""
    current = body
    for segment in parse_path(path):
        current = _step(current, segment)
        if current is _MISSING:
            return False
    return True


def wrap(value: Any, path: str | None) -> Any:
    """Nest `value` under `path`, e.g. `ticket` gives {"ticket": value}: a body wrapper."""
    if path is None:
        return value
    for segment in reversed(parse_path(path)):
        if isinstance(segment, int):
            raise ValueError(f"a wrapper path holds keys only: {path!r}")
        value = {segment: value}
    return value


def _step(current: Any, segment: Segment) -> Any:
    if isinstance(segment, int):
        if isinstance(current, list) and -len(current) <= segment < len(current):
            return current[segment]
        return _MISSING
    if isinstance(current, dict) and segment in current:
        return current[segment]
    return _MISSING
