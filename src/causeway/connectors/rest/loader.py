"""Loading a REST system's YAML: secrets from the environment, defaults merged, every error
pointing at its file, line and field, e.g. `crm.yaml:12: resources.tickets.paginator.type:
unknown paginator 'nxt'`.

PyYAML's composer keeps the line of every node; we build plain data from the nodes and keep
a table from each location to its line, then translate pydantic's error locations back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from causeway.connectors.rest.config import RestConfig

Location = tuple[str | int, ...]
_VARIABLE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DEFAULTS = "resource_defaults"
_NOUNS = {"paginator": "paginator", "auth": "auth type"}


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a configuration file, with its place."""

    file: str
    line: int | None
    field: str | None
    message: str

    def describe(self) -> str:
        """'file:line: field: message', the form editors and CI logs understand."""
        place = f"{self.file}:{self.line}" if self.line is not None else self.file
        return (
            f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"
        )


class RestConfigError(Exception):
    """A REST system file cannot be loaded; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(issue.describe() for issue in issues))


def load_config(
    path: Path, *, env: Mapping[str, str] | None = None, label: str | None = None
) -> RestConfig:
    """Read, interpolate and validate one system file; `label` names it in messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RestConfigError(
            [ConfigIssue(label or str(path), None, None, f"cannot read: {error.strerror}")]
        ) from None
    return parse_config(text, label or str(path), env=env)


def parse_config(
    text: str, file: str = "<text>", *, env: Mapping[str, str] | None = None
) -> RestConfig:
    """Validate a configuration text; raises RestConfigError naming file, line and field."""
    lines: dict[Location, int] = {}
    data = _compose(text, file, lines)
    issues: list[ConfigIssue] = []
    data = _interpolate(data, (), os.environ if env is None else env, file, lines, issues)
    if issues:
        raise RestConfigError(issues)
    if not isinstance(data, dict):
        raise RestConfigError([ConfigIssue(file, 1, None, "the file must hold a mapping")])
    origins: dict[Location, Location] = {}
    merged = _with_defaults(data, origins)
    try:
        return RestConfig.model_validate(merged)
    except ValidationError as error:
        raise RestConfigError(_issues(error, merged, file, lines, origins)) from None


def rest_config_json_schema() -> dict[str, Any]:
    """The JSON Schema of a system file, for editors' completion and checks."""
    schema = RestConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Causeway REST system"
    return schema


def _compose(text: str, file: str, lines: dict[Location, int]) -> Any:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RestConfigError([ConfigIssue(file, line, None, f"YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise RestConfigError([ConfigIssue(file, None, None, f"YAML: {error}")]) from None
    if root is None:
        raise RestConfigError([ConfigIssue(file, 1, None, "the file is empty")])
    return _build(root, (), lines, file)


def _build(node: Node, location: Location, lines: dict[Location, int], file: str) -> Any:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                raise RestConfigError(
                    [ConfigIssue(file, key_line, None, "keys must be plain text")]
                )
            key = str(key_node.value)
            if key in out:
                raise RestConfigError([ConfigIssue(file, key_line, key, "duplicate key")])
            # The key's own line is the better pointer when the value spans several lines.
            lines[(*location, key)] = key_line
            out[key] = _build(value_node, (*location, key), lines, file)
        return out
    if isinstance(node, SequenceNode):
        return [_build(item, (*location, i), lines, file) for i, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _interpolate(
    value: Any,
    location: Location,
    env: Mapping[str, str],
    file: str,
    lines: dict[Location, int],
    issues: list[ConfigIssue],
) -> Any:
    if isinstance(value, dict):
        return {
            key: _interpolate(item, (*location, key), env, file, lines, issues)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate(item, (*location, i), env, file, lines, issues)
            for i, item in enumerate(value)
        ]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if name not in env:
            issues.append(
                ConfigIssue(
                    file,
                    lines.get(location),
                    _dotted(location),
                    f"environment variable {name} is not set",
                )
            )
            return ""
        return env[name]

    return _VARIABLE.sub(substitute, value)


def _with_defaults(data: dict[str, Any], origins: dict[Location, Location]) -> dict[str, Any]:
    defaults = data.get(_DEFAULTS)
    resources = data.get("resources")
    if not isinstance(defaults, dict) or not isinstance(resources, dict):
        return data
    merged = dict(resources)
    for name, resource in resources.items():
        if isinstance(resource, dict):
            merged[name] = _merge(defaults, resource, ("resources", name), (_DEFAULTS,), origins)
    return {**data, "resources": merged}


def _merge(
    default: dict[str, Any],
    override: dict[str, Any],
    here: Location,
    source: Location,
    origins: dict[Location, Location],
) -> dict[str, Any]:
    result = dict(override)
    for key, value in default.items():
        if key not in override:
            result[key] = value
            origins[(*here, key)] = (*source, key)
            continue
        mine = override[key]
        # A block of another `type` (paginator, auth) replaces the default one wholesale.
        if (
            isinstance(value, dict)
            and isinstance(mine, dict)
            and mine.get("type", value.get("type")) == value.get("type")
        ):
            result[key] = _merge(value, mine, (*here, key), (*source, key), origins)
    return result


def _issues(
    error: ValidationError,
    data: Any,
    file: str,
    lines: dict[Location, int],
    origins: dict[Location, Location],
) -> list[ConfigIssue]:
    found: list[ConfigIssue] = []
    for entry in error.errors(include_input=False, include_url=False):
        location = _strip_tags(data, tuple(entry["loc"]))
        message = _message(entry, location)
        if entry["type"] in ("union_tag_invalid", "union_tag_not_found"):
            location = (*location, "type")
        location = _origin(location, origins)
        issue = ConfigIssue(file, _line(location, lines), _dotted(location), message)
        if issue not in found:
            found.append(issue)
    return sorted(found, key=lambda issue: issue.line or 0)


def _message(entry: Any, location: Location) -> str:
    kind = entry["type"]
    context = entry.get("ctx") or {}
    noun = _NOUNS.get(str(location[-1]), str(location[-1])) if location else "type"
    if kind == "union_tag_invalid":
        return (
            f"unknown {noun} {context.get('tag')!r}; expected one of {context.get('expected_tags')}"
        )
    if kind == "union_tag_not_found":
        return f"a {noun} needs a type"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    message = str(entry["msg"])
    return message.removeprefix("Value error, ")


def _strip_tags(data: Any, loc: tuple[Any, ...]) -> Location:
    """Drop the union tags pydantic puts in locations (paginator.cursor.x -> paginator.x)."""
    out: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict):
            if part in current:
                out.append(part)
                current = current[part]
                continue
            if current.get("type") == part:
                continue
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            out.append(part)
            current = current[part]
            continue
        out.append(part if isinstance(part, int) else str(part))
        current = None
    return tuple(out)


def _origin(location: Location, origins: dict[Location, Location]) -> Location:
    for end in range(len(location), 0, -1):
        source = origins.get(location[:end])
        if source is not None:
            return (*source, *location[end:])
    return location


def _line(location: Location, lines: dict[Location, int]) -> int | None:
    for end in range(len(location), -1, -1):
        found = lines.get(location[:end])
        if found is not None:
            return found
    return None


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
