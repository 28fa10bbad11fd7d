"""Fixtures running the same backbone behaviour suite on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES
from tests.support.postgres import throwaway_database


class ManualClock:
    """A clock the test moves by hand, so leases and backoff need no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the test module, dropped afterwards."""
    with throwaway_database("causeway_runtime") as url:
        engine = make_engine(url)
        metadata.create_all(engine, tables=list(RUNTIME_TABLES))
        engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine with empty runtime tables on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'runtime.sqlite'}")
        metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    else:
        engine = emptied_postgres(request.getfixturevalue("postgres_url"))
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine with empty runtime tables on PostgreSQL only (multi-process broker tests)."""
    engine = emptied_postgres(postgres_url)
    yield engine
    engine.dispose()


def emptied_postgres(url: str) -> Engine:
    engine = make_engine(url, pool_size=10)
    with engine.begin() as connection:
        for table in reversed(RUNTIME_TABLES):
            connection.execute(delete(table))
    return engine


@pytest.fixture
def clock() -> ManualClock:
    """A hand-driven clock starting on a fixed Monday morning."""
    return ManualClock()


@pytest.fixture
def backbone(engine: Engine, clock: ManualClock) -> SqlBackbone:
    """A backbone on the hand-driven clock."""
    return SqlBackbone(engine, clock=clock)


@pytest.fixture
def live_backbone(engine: Engine) -> SqlBackbone:
    """A backbone on the wall clock, for tests that run real workers."""
    return SqlBackbone(engine)
