"""Field paths into canonical objects: does `addresses[0].country` exist, and what type is it?

Mappings are checked against the model when they load, so a typo in a target is reported
with its file and line instead of surfacing as a validation error on the first record.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from causeway.canonical.errors import UnknownCanonicalFieldError, format_path

Segment = str | int


def unwrap(annotation: Any) -> Any:
    """Strip Annotated metadata and Optional from a type: `Annotated[str, ...] | None` -> str."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def field_type(model: type[BaseModel], segments: Sequence[Segment]) -> Any:
    """The (unwrapped) type at a path; raises UnknownCanonicalFieldError naming the bad step."""
    current: Any = model
    name = getattr(model, "SCHEMA", None)
    object_name = str(name.name) if name is not None else model.__name__
    for depth, segment in enumerate(segments):
        where = format_path(segments[: depth + 1])
        base = unwrap(current)
        origin = get_origin(base)
        if isinstance(segment, int):
            if origin is not list:
                raise UnknownCanonicalFieldError(object_name, where, "not a list")
            current = get_args(base)[0]
        elif isinstance(base, type) and issubclass(base, BaseModel):
            info = base.model_fields.get(segment)
            if info is None:
                known = ", ".join(base.model_fields)
                raise UnknownCanonicalFieldError(object_name, where, f"{base.__name__} has {known}")
            current = info.annotation
        elif origin is dict:
            current = get_args(base)[1]
        else:
            raise UnknownCanonicalFieldError(object_name, where, "not an object")
    return unwrap(current)


def enum_type(annotation: Any) -> type[Enum] | None:
    """The Enum class a field holds, if it holds one."""
    base = unwrap(annotation)
    return base if isinstance(base, type) and issubclass(base, Enum) else None


def list_item_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a list's elements (`list[SalesOrderLine]` -> SalesOrderLine), if any."""
    base = unwrap(annotation)
    if get_origin(base) is not list:
        return None
    item = unwrap(get_args(base)[0])
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def required_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Top-level fields a record must carry because they have no default."""
    return tuple(name for name, info in model.model_fields.items() if info.is_required())
