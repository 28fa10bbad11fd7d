"""The packaged migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import causeway.store.tables  # noqa: F401  (registers every table)
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.schema import current_revision, head_revision, upgrade
from tests.support.postgres import throwaway_database


def assert_matches_code(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    upgrade(engine)  # a second upgrade at start-up is a no-op
    assert current_revision(engine) == head_revision()


def test_sqlite_upgrade_matches_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    try:
        assert current_revision(engine) is None
        assert_matches_code(engine)
    finally:
        engine.dispose()


@pytest.mark.services
def test_postgresql_upgrade_matches_the_tables() -> None:
    with throwaway_database("causeway_migrations") as url:
        engine = make_engine(url)
        try:
            assert_matches_code(engine)
        finally:
            engine.dispose()
