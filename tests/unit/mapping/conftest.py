"""Fixtures for mapping tests: compile YAML written to a file, and the shipped mappings."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingConfigError
from causeway.mapping.loader import MappingCatalog, load_mapping, shipped_mappings


@pytest.fixture
def write_mapping(tmp_path: Path) -> Callable[[str], Path]:
    """Write dedented YAML to a file under tmp_path and return its path."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / "crm" / f"mapping{next(counter)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def compile_yaml(
    write_mapping: Callable[[str], Path], tmp_path: Path
) -> Callable[[str], CompiledMapping]:
    """Compile a mapping written as dedented YAML; files are named relative to tmp_path."""

    def compile_(text: str) -> CompiledMapping:
        return load_mapping(write_mapping(text), base=tmp_path)

    return compile_


@pytest.fixture
def config_error(
    compile_yaml: Callable[[str], CompiledMapping],
) -> Callable[[str], MappingConfigError]:
    """Compile YAML that must fail, returning the error."""

    def fail(text: str) -> MappingConfigError:
        with pytest.raises(MappingConfigError) as caught:
            compile_yaml(text)
        return caught.value

    return fail


@pytest.fixture(scope="module")
def shipped() -> MappingCatalog:
    """The mappings shipped with Causeway, compiled once per module."""
    return shipped_mappings()
