"""JSON Schema export of the canonical objects, so other tools and editors share the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from causeway.canonical.base import CanonicalObject
from causeway.canonical.registry import CANONICAL_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(cls: type[CanonicalObject]) -> dict[str, Any]:
    """The JSON Schema of one canonical object, stamped with its name and version."""
    schema = cls.model_json_schema(mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:causeway:canonical:{cls.SCHEMA.name}:v{cls.SCHEMA.version}",
        "x-causeway-object": cls.SCHEMA.name,
        "x-causeway-version": cls.SCHEMA.version,
        **schema,
    }


def export_schemas(folder: Path) -> list[Path]:
    """Write `<name>.v<version>.schema.json` for every canonical object; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for cls in CANONICAL_TYPES.values():
        path = folder / cls.SCHEMA.file_name
        text = json.dumps(json_schema(cls), indent=2, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written
