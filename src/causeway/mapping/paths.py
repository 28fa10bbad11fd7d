"""Field paths (`BillingAddress.city`, `to_Item[0].Material`, `$root.Currency`) compiled once.

A getter walks dicts, lists and pydantic models and answers None for anything missing; a
setter builds the nested dicts and lists it needs. Both are plain closures made at load time.
A selector `addresses[role=billing]` picks the first list element whose field has that value;
a setter appends `{"role": "billing"}` when there is none yet.
Indexing an OData v2 collection object (`{"results": [...]}`) indexes its list, so the same
path reads an expanded navigation property and the plain list of a deep insert.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Selector:
    """`[key=value]`: the first list element whose `key` equals `value`."""

    key: str
    value: str

    def matches(self, element: Any) -> bool:
        """True when the element's `key` holds `value` (enumeration members by their value)."""
        if isinstance(element, dict):
            found = element.get(self.key)
        elif isinstance(element, BaseModel):
            found = getattr(element, self.key, None)
        else:
            return False
        if isinstance(found, Enum):
            found = found.value
        return found == self.value


Segment = str | int | Selector
Getter = Callable[[Any], Any]
Setter = Callable[[dict[str, Any], Any], None]

ROOT_PREFIX = "$root."
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SUBSCRIPT = rf"\[(?:\d+|{_NAME}=[A-Za-z0-9_.-]+)\]"
_SEGMENT = re.compile(rf"({_NAME})((?:{_SUBSCRIPT})*)$")
_INDEX = re.compile(rf"\[(?:(\d+)|({_NAME})=([A-Za-z0-9_.-]+))\]")


class PathSyntaxError(ValueError):
    """A path that does not follow `name(.name|[index])*`."""


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A parsed path; `from_root` means it starts at the top record, not the list element."""

    text: str
    segments: tuple[Segment, ...]
    from_root: bool = False

    def startswith(self, other: FieldPath) -> bool:
        """True when `other` is this path or one of its ancestors."""
        n = len(other.segments)
        return self.from_root == other.from_root and self.segments[:n] == other.segments


def parse_path(text: str) -> FieldPath:
    """Parse `a.b[0].c` (optionally prefixed by `$root.`) into segments."""
    body = text.strip()
    from_root = body.startswith(ROOT_PREFIX)
    if from_root:
        body = body[len(ROOT_PREFIX) :]
    if not body:
        raise PathSyntaxError(f"empty path {text!r}")
    segments: list[Segment] = []
    for part in body.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise PathSyntaxError(f"bad path {text!r}: cannot read {part!r}")
        segments.append(match.group(1))
        for index, key, value in _INDEX.findall(match.group(2)):
            segments.append(int(index) if index else Selector(key, value))
    return FieldPath(text=text, segments=tuple(segments), from_root=from_root)


def _step(value: Any, segment: Segment) -> Any:
    if isinstance(segment, Selector):
        if isinstance(value, dict):
            value = value.get("results")
        if isinstance(value, list):
            return next((item for item in value if segment.matches(item)), None)
        return None
    if isinstance(segment, int):
        if isinstance(value, dict):
            value = value.get("results")
        if isinstance(value, list) and segment < len(value):
            return value[segment]
        return None
    if isinstance(value, dict):
        return value.get(segment)
    if isinstance(value, BaseModel):
        return getattr(value, segment, None)
    if isinstance(value, Mapping):
        return value.get(segment)
    return None


def _shape(segments: tuple[Segment, ...]) -> str:
    """'key.selector.key' style summary used to pick a specialised getter or setter."""
    return ".".join(
        "index" if isinstance(s, int) else "selector" if isinstance(s, Selector) else "key"
        for s in segments
    )


def compile_getter(path: FieldPath) -> Getter:
    """A function reading the path from a record; None when any step is missing."""
    segments = path.segments

    def get_many(record: Any) -> Any:
        value = record
        for segment in segments:
            if value is None:
                return None
            value = _step(value, segment)
        return value

    if len(segments) == 1 and isinstance(segments[0], str):
        key = segments[0]

        def get_one(record: Any) -> Any:
            if type(record) is dict:
                return record.get(key)
            return _step(record, key)

        return get_one

    if _shape(segments) == "key.selector.key":
        list_key, selector, leaf = segments
        assert isinstance(selector, Selector)
        match_key, match_value = selector.key, selector.value

        def get_selected(record: Any) -> Any:
            if type(record) is not dict:
                return get_many(record)
            items = record.get(list_key)
            if type(items) is not list:
                return get_many(record)
            for item in items:
                if type(item) is dict and item.get(match_key) == match_value:
                    return item.get(leaf)
            return get_many(record) if items and type(items[0]) is not dict else None

        return get_selected

    if len(segments) == 2 and isinstance(segments[0], str) and isinstance(segments[1], str):
        first, second = segments

        def get_two(record: Any) -> Any:
            if type(record) is dict:
                inner = record.get(first)
                if type(inner) is dict:
                    return inner.get(second)
                return None if inner is None else _step(inner, second)
            return _step(_step(record, first), second)

        return get_two

    return get_many


class PathConflictError(ValueError):
    """Two targets disagree about the shape of the output (a value where a list should be)."""


def _container_for(next_segment: Segment) -> dict[str, Any] | list[Any]:
    return {} if isinstance(next_segment, str) else []


def _select(container: Any, selector: Selector) -> dict[str, Any]:
    if type(container) is not list:
        raise PathConflictError(f"expected a list before [{selector.key}={selector.value}]")
    key, wanted = selector.key, selector.value
    for item in container:
        if type(item) is dict and item.get(key) == wanted:
            return item
        if type(item) is not dict and selector.matches(item):
            if not isinstance(item, dict):
                raise PathConflictError(f"expected objects in the list of {selector.key}")
            return item
    created: dict[str, Any] = {selector.key: selector.value}
    container.append(created)
    return created


def _descend(container: Any, segment: Segment, next_segment: Segment) -> Any:
    if isinstance(segment, Selector):
        return _select(container, segment)
    if isinstance(segment, int):
        if not isinstance(container, list):
            raise PathConflictError(f"expected a list before [{segment}]")
        while len(container) <= segment:
            container.append(None)
        child = container[segment]
        if child is None:
            child = container[segment] = _container_for(next_segment)
        return child
    if not isinstance(container, dict):
        raise PathConflictError(f"expected an object before {segment!r}")
    child = container.get(segment)
    if child is None:
        child = container[segment] = _container_for(next_segment)
    return child


def _assign(container: Any, segment: Segment, value: Any) -> None:
    if isinstance(segment, Selector):
        selected = _select(container, segment)
        selected.clear()
        if isinstance(value, dict):
            selected.update(value)
        selected[segment.key] = segment.value
    elif isinstance(segment, int):
        if not isinstance(container, list):
            raise PathConflictError(f"expected a list before [{segment}]")
        while len(container) <= segment:
            container.append(None)
        container[segment] = value
    elif isinstance(container, dict):
        container[segment] = value
    else:
        raise PathConflictError(f"expected an object before {segment!r}")


def compile_setter(path: FieldPath) -> Setter:
    """A function writing a value at the path, creating the dicts and lists on the way."""
    if path.from_root:
        raise PathSyntaxError(f"{path.text!r}: a target cannot start at $root")
    segments = path.segments
    if len(segments) == 1 and isinstance(segments[0], str):
        key = segments[0]

        def set_one(out: dict[str, Any], value: Any) -> None:
            out[key] = value

        return set_one

    shape = _shape(segments)
    if shape == "key.key":
        outer, inner_key = segments
        assert isinstance(outer, str)
        assert isinstance(inner_key, str)

        def set_two(out: dict[str, Any], value: Any) -> None:
            inner = out.get(outer)
            if inner is None:
                inner = out[outer] = {}
            elif type(inner) is not dict:
                raise PathConflictError(f"expected an object at {outer!r}")
            inner[inner_key] = value

        return set_two

    if shape == "key.selector.key":
        list_key, selector, leaf = segments
        assert isinstance(list_key, str)
        assert isinstance(selector, Selector)
        assert isinstance(leaf, str)

        def set_selected(out: dict[str, Any], value: Any) -> None:
            items = out.get(list_key)
            if items is None:
                items = out[list_key] = []
            _select(items, selector)[leaf] = value

        return set_selected

    steps = tuple(itertools.pairwise(segments))
    last = segments[-1]

    def set_many(out: dict[str, Any], value: Any) -> None:
        container: Any = out
        for segment, next_segment in steps:
            container = _descend(container, segment, next_segment)
        _assign(container, last, value)

    return set_many
