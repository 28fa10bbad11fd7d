"""Recorded spans, and a backbone on SQLite and on PostgreSQL, for the tracing tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine, delete

from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES
from tests.support.postgres import throwaway_database
from tests.support.tracing import recording


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span finished during the test."""
    with recording() as memory:
        yield memory


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the test module, dropped afterwards."""
    with throwaway_database("causeway_observe") as url:
        engine = make_engine(url)
        metadata.create_all(engine, tables=list(RUNTIME_TABLES))
        engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def backbone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlBackbone]:
    """A backbone with empty runtime tables on each backend."""
    engine: Engine
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'runtime.sqlite'}")
        metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        with engine.begin() as connection:
            for table in reversed(RUNTIME_TABLES):
                connection.execute(delete(table))
    yield SqlBackbone(engine)
    engine.dispose()
