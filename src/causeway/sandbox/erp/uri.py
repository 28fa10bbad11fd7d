"""Parse and build OData v2 resource paths: A_SalesOrder('1')/to_Item, composite keys, $count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from causeway.sandbox.erp.errors import bad_request, not_found
from causeway.sandbox.erp.filter import FilterSyntaxError, Literal, parse_keys, string_literal
from causeway.sandbox.erp.model import Edm, EntityType, ServiceModel
from causeway.sandbox.erp.store import key_text


@dataclass(frozen=True)
class Segment:
    """One path segment: a name and, if addressed by key, the key predicate text."""

    name: str
    predicate: str | None


@dataclass(frozen=True)
class ResourcePath:
    """A parsed resource path below the service root."""

    segments: tuple[Segment, ...]
    count: bool


def split_path(path: str) -> ResourcePath:
    """Split on '/' outside quoted key values; a trailing $count becomes a flag."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in path:
        if char == "'":
            quoted = not quoted
        if char == "/" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    parts = [part for part in parts if part]
    count = bool(parts) and parts[-1] == "$count"
    if count:
        parts = parts[:-1]
    segments = []
    for part in parts:
        name, paren, rest = part.partition("(")
        segments.append(Segment(name, f"({rest}" if paren else None))
    return ResourcePath(tuple(segments), count)


def key_values(entity: EntityType, predicate: str) -> tuple[str, ...]:
    """Turn a key predicate into the key tuple of `entity`; 400 if it does not fit."""
    try:
        parsed = parse_keys(predicate)
    except FilterSyntaxError as error:
        raise bad_request(
            f"Invalid key predicate {predicate} for '{entity.entity_set}'",
            entity=entity.entity_set,
        ) from error
    if isinstance(parsed, list):
        if len(entity.keys) != 1:
            raise bad_request(
                f"'{entity.entity_set}' has keys {', '.join(entity.keys)}: name each of them",
                entity=entity.entity_set,
            )
        values = {entity.keys[0]: parsed[0]}
    else:
        values = parsed
    if set(values) != set(entity.keys):
        raise bad_request(
            f"Invalid key predicate {predicate}: expected {', '.join(entity.keys)}",
            entity=entity.entity_set,
        )
    return tuple(_key_text(entity, name, values[name], predicate) for name in entity.keys)


def _is_datetime(entity: EntityType, name: str) -> bool:
    prop = entity.prop(name)
    return prop is not None and prop.type == Edm.DATETIME


def _key_text(entity: EntityType, name: str, literal: Literal, predicate: str) -> str:
    if _is_datetime(entity, name):
        if literal.kind != "datetime":
            raise bad_request(
                f"Invalid key predicate {predicate}: '{name}' is an Edm.DateTime and needs "
                "datetime'...'",
                entity=entity.entity_set,
            )
        moment: datetime = literal.value
        prop = entity.prop(name)
        if prop is not None and prop.display_format == "Date":
            # Stored as the calendar date, as the JSON decoder keeps such values.
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return key_text(moment)
    if literal.kind != "string":
        raise bad_request(
            f"Invalid key predicate {predicate}: '{name}' is an Edm.String and needs quotes",
            entity=entity.entity_set,
        )
    value: str = literal.value
    return value


def _key_literal(entity: EntityType, name: str, value: str) -> str:
    if _is_datetime(entity, name):
        return f"datetime'{datetime.fromisoformat(value).strftime('%Y-%m-%dT%H:%M:%S')}'"
    return string_literal(value)


def key_predicate(entity: EntityType, key: tuple[str, ...]) -> str:
    """The canonical key predicate, ('1') or (A='1',B='2'), for URIs."""
    if len(entity.keys) == 1:
        return f"({_key_literal(entity, entity.keys[0], key[0])})"
    pairs = ",".join(
        f"{name}={_key_literal(entity, name, value)}"
        for name, value in zip(entity.keys, key, strict=True)
    )
    return f"({pairs})"


def resolve_set(service: ServiceModel, segment: Segment) -> EntityType:
    """The entity type addressed by the first segment; 404 for an unknown entity set."""
    entity = service.entity_set(segment.name)
    if entity is None:
        raise not_found(segment.name)
    return entity


def etag_of(moment: datetime) -> str:
    """A weak ETag from a timestamp, in SAP Gateway's datetimeoffset form."""
    return f"W/\"datetimeoffset'{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}0Z'\""
