"""A database and both sandboxes for end-to-end sync scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from causeway.store.engine import make_engine
from causeway.store.schema import upgrade


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
