"""Alembic environment: migrations run against the URL handed in by `causeway.store.schema`."""

from __future__ import annotations

from alembic import context

import causeway.store.tables  # noqa: F401  (registers every table on the metadata)
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata

config = context.config


def run_migrations() -> None:
    """Apply migrations on the connection given by the caller, or on a fresh engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=conn.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
