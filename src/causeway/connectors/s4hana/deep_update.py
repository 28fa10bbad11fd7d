"""Updates that reach into navigation properties, the way OData v2 allows them.

OData v2 accepts deep inserts but no deep updates: a PATCH carries the entity's own
properties only. A payload such as `{"OrganizationBPName1": ..., "to_BusinessPartnerAddress":
[{"CityName": ...}]}` is therefore split into one PATCH per entity, each sent to the URI
the service itself gave that entity (`__metadata.uri`), and only where something differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from causeway.connectors.errors import InvalidRecordError
from causeway.connectors.s4hana.errors import SYSTEM


@dataclass(frozen=True)
class Patch:
    """One entity to update: where, and with which properties."""

    uri: str
    fields: dict[str, Any]
    path: str
    """Where in the payload it came from, for error messages (e.g. to_BusinessPartnerAddress[0])."""


def is_navigation(name: str, value: Any) -> bool:
    """Navigation properties carry nested entities (SAP names them to_...)."""
    return name.startswith("to_") and isinstance(value, Mapping | list)


def expand_paths(payload: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The $expand paths needed to read every entity the payload touches."""
    paths: list[str] = []
    for name, value in payload.items():
        if not is_navigation(name, value):
            continue
        path = f"{prefix}{name}"
        paths.append(path)
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, Mapping):
                paths.extend(expand_paths(child, f"{path}/"))
    return list(dict.fromkeys(paths))


def _same(wanted: Any, current: Any) -> bool:
    if wanted is None or current is None:
        return wanted is current
    return str(wanted).strip() == str(current).strip()


def plan_patches(
    payload: Mapping[str, Any], current: Mapping[str, Any], path: str, record_id: str
) -> list[Patch]:
    """The PATCHes that bring `current` (read with $expand) to what `payload` says."""
    own = {
        name: value
        for name, value in payload.items()
        if not is_navigation(name, value) and not _same(value, current.get(name))
    }
    patches: list[Patch] = []
    if own:
        uri = (current.get("__metadata") or {}).get("uri")
        if not uri:
            raise InvalidRecordError(
                "the service gave no URI to update this entity",
                system=SYSTEM,
                record_id=record_id,
                field=path or None,
            )
        patches.append(Patch(str(uri), own, path))
    for name, value in payload.items():
        if not is_navigation(name, value):
            continue
        existing = current.get(name)
        if isinstance(existing, Mapping) and "results" in existing:
            existing = existing["results"]
        wanted = value if isinstance(value, list) else [value]
        present = existing if isinstance(existing, list) else [existing]
        for index, child in enumerate(wanted):
            child_path = f"{path}.{name}[{index}]" if path else f"{name}[{index}]"
            target = present[index] if index < len(present) else None
            if not isinstance(target, Mapping):
                raise InvalidRecordError(
                    "no such entity to update; create it in the system first",
                    system=SYSTEM,
                    record_id=record_id,
                    field=child_path,
                )
            if isinstance(child, Mapping):
                patches.extend(plan_patches(child, target, child_path, record_id))
    return patches
