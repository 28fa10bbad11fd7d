"""Loading mappings: one file, a text, or a whole configuration folder into a catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.compiler import compile_document
from causeway.mapping.errors import MappingConfigError, MappingIssue
from causeway.mapping.yaml_lines import load_located

MAPPING_SUFFIXES = (".yaml", ".yml")


def mapping_file_label(path: Path, base: Path | None) -> str:
    """How a mapping file is named in messages: relative to its configuration folder."""
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def check_text(text: str, file: str) -> tuple[CompiledMapping | None, list[MappingIssue]]:
    """Parse and compile a mapping text; return it (None on errors) and every issue found."""
    try:
        doc = load_located(text, file)
    except MappingConfigError as exc:
        return None, list(exc.issues)
    return compile_document(doc)


def compile_text(text: str, file: str = "<text>") -> CompiledMapping:
    """Compile a mapping from text; raises MappingConfigError listing every problem."""
    mapping, issues = check_text(text, file)
    if mapping is None:
        raise MappingConfigError([i for i in issues if i.severity == "error"])
    return mapping


def load_mapping(path: Path, *, base: Path | None = None) -> CompiledMapping:
    """Compile one mapping file; messages name it relative to `base` when given."""
    return compile_text(path.read_text(encoding="utf-8"), mapping_file_label(path, base))


def mapping_files(folder: Path) -> list[Path]:
    """Every mapping file under a folder, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix in MAPPING_SUFFIXES and p.is_file())


class MappingCatalog:
    """Compiled mappings indexed by (system, system object, canonical object)."""

    def __init__(self, mappings: list[CompiledMapping]) -> None:
        self._by_key: dict[tuple[str, str, str], CompiledMapping] = {}
        for mapping in mappings:
            if mapping.key in self._by_key:
                first = self._by_key[mapping.key]
                raise MappingConfigError(
                    [
                        MappingIssue(
                            mapping.file,
                            None,
                            None,
                            f"{'/'.join(mapping.key)} is already mapped in {first.file}",
                            "duplicate",
                        )
                    ]
                )
            self._by_key[mapping.key] = mapping

    def __iter__(self) -> Iterator[CompiledMapping]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, system: str, object_name: str, canonical: str) -> CompiledMapping:
        """The mapping for exactly this system object and canonical object."""
        try:
            return self._by_key[(system, object_name, canonical)]
        except KeyError:
            raise LookupError(f"no mapping for {system} {object_name} <-> {canonical}") from None

    def for_system(self, system: str, canonical: str) -> list[CompiledMapping]:
        """Every mapping between a system and a canonical object (usually one)."""
        return [m for m in self if m.system == system and m.canonical == canonical]


def load_mappings(folder: Path) -> MappingCatalog:
    """Compile every mapping under a folder; raises MappingConfigError listing all problems."""
    mappings: list[CompiledMapping] = []
    issues: list[MappingIssue] = []
    for path in mapping_files(folder):
        mapping, found = check_text(
            path.read_text(encoding="utf-8"), mapping_file_label(path, folder)
        )
        issues.extend(i for i in found if i.severity == "error")
        if mapping is not None:
            mappings.append(mapping)
    if issues:
        raise MappingConfigError(issues)
    return MappingCatalog(mappings)


def shipped_mappings_folder() -> Path:
    """The folder of mappings shipped with Causeway (package data `causeway/mappings`)."""
    return Path(str(resources.files("causeway.mappings")))


def shipped_mappings() -> MappingCatalog:
    """The shipped mappings, compiled."""
    return load_mappings(shipped_mappings_folder())
