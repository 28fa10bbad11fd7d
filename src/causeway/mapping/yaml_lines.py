"""A YAML reader that remembers the line of every node, so errors can point at it.

PyYAML's composer gives nodes with start marks; we build plain Python data from them and keep
a table from each value's location (the tuple of keys and indexes leading to it) to its line.
Mapping keys are always kept as the text written, so `NO:` (Norway) and `01:` stay strings;
only `true`/`false` are booleans, because YAML 1.1's yes/no/on/off surprise everyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from causeway.mapping.errors import MappingConfigError, MappingIssue

Location = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_LEADING_ZERO = re.compile(r"^[-+]?0\d+$")


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """Parsed YAML data plus the 1-based line of every location in it."""

    file: str
    data: Any
    lines: Mapping[Location, int]

    def line(self, location: Location) -> int | None:
        """Line of a location, or of its nearest enclosing node when it is not in the file."""
        for end in range(len(location), -1, -1):
            found = self.lines.get(tuple(location[:end]))
            if found is not None:
                return found
        return None


def load_located(text: str, file: str) -> LocatedDocument:
    """Parse one YAML document; raise MappingConfigError with the line of a syntax error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise MappingConfigError(
            [MappingIssue(file, line, None, f"YAML syntax: {exc.problem}", code="syntax")]
        ) from exc
    except yaml.YAMLError as exc:
        raise MappingConfigError(
            [MappingIssue(file, None, None, f"YAML: {exc}", code="syntax")]
        ) from exc
    if root is None:
        raise MappingConfigError([MappingIssue(file, 1, None, "the file is empty", code="syntax")])
    lines: dict[Location, int] = {}
    data = _build(root, (), lines, SafeConstructor(), file)
    return LocatedDocument(file=file, data=data, lines=lines)


def _build(
    node: Node, location: Location, lines: dict[Location, int], ctor: SafeConstructor, file: str
) -> Any:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                raise MappingConfigError(
                    [
                        MappingIssue(
                            file, key_line, None, "merge keys (<<) are not supported", code="syntax"
                        )
                    ]
                )
            if not isinstance(key_node, ScalarNode):
                raise MappingConfigError(
                    [MappingIssue(file, key_line, None, "keys must be plain text", code="syntax")]
                )
            key = str(key_node.value)
            if key in out:
                raise MappingConfigError(
                    [MappingIssue(file, key_line, key, f"duplicate key {key!r}", code="syntax")]
                )
            out[key] = _build(value_node, (*location, key), lines, ctor, file)
            # The key's own line is the better pointer when the value spans several lines.
            lines[(*location, key)] = key_line
        return out
    if isinstance(node, SequenceNode):
        return [
            _build(item, (*location, index), lines, ctor, file)
            for index, item in enumerate(node.value)
        ]
    assert isinstance(node, ScalarNode)
    if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
        return node.value
    if node.tag == _INT_TAG and _LEADING_ZERO.match(node.value):
        return node.value
    return ctor.construct_object(node, deep=True)
