"""`causeway validate`: check a whole configuration folder and report every issue at once."""

from __future__ import annotations

from pathlib import Path

from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingIssue
from causeway.mapping.loader import check_text, mapping_file_label, mapping_files


def validate_configuration(folder: Path) -> list[MappingIssue]:
    """Every issue in the mapping files under `folder`: syntax, schema, canonical fields,
    expressions, transforms, value-map completeness and duplicate mappings."""
    if not folder.is_dir():
        return [MappingIssue(str(folder), None, None, "not a folder", "missing")]
    files = mapping_files(folder)
    if not files:
        return [MappingIssue(str(folder), None, None, "no mapping files (*.yaml)", "missing")]
    issues: list[MappingIssue] = []
    seen: dict[tuple[str, str, str], CompiledMapping] = {}
    for path in files:
        label = mapping_file_label(path, folder)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(MappingIssue(label, None, None, f"cannot read: {exc}", "io"))
            continue
        mapping, found = check_text(text, label)
        issues.extend(found)
        if mapping is None:
            continue
        if mapping.system != path.parent.name and path.parent != folder:
            issues.append(
                MappingIssue(
                    label,
                    None,
                    None,
                    f"system {mapping.system!r} lives in folder {path.parent.name!r}",
                    "layout",
                    "warning",
                )
            )
        first = seen.setdefault(mapping.key, mapping)
        if first is not mapping:
            issues.append(
                MappingIssue(
                    label,
                    None,
                    None,
                    f"{'/'.join(mapping.key)} is already mapped in {first.file}",
                    "duplicate",
                )
            )
    return issues
