"""The few places where SQLite and PostgreSQL differ, kept together and explicit.

- Write transactions: SQLite starts them with BEGIN IMMEDIATE so the write lock is taken up
  front (a deferred transaction that reads, then writes, fails instead of waiting).
- Claims: PostgreSQL serialises claimers of one topic and group with a transaction-scoped
  advisory lock; on SQLite the database write lock already does. PostgreSQL also gets JIT
  switched off for the claim: the head probes make the estimated cost look huge, and
  compiling the plan took a hundred times longer than running it.
- Upserts: each dialect has its own INSERT ... ON CONFLICT construct.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects import postgresql, sqlite

Insert = sqlite.Insert | postgresql.Insert


def is_sqlite(connection: Connection | Engine) -> bool:
    """True on the embedded backend."""
    return connection.dialect.name == "sqlite"


def insert_for(connection: Connection, table: Table) -> Insert:
    """An INSERT that supports ON CONFLICT on the connection's dialect."""
    if is_sqlite(connection):
        return sqlite.insert(table)
    return postgresql.insert(table)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement (commit on success).

    Outbox callers on SQLite should use it too, so their read-then-publish transactions wait
    for the lock instead of failing with "database is locked".
    """
    with engine.connect() as connection:
        if is_sqlite(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


def prepare_claim(connection: Connection, topic: str, group: str) -> None:
    """Make this transaction the only claimer of (topic, group) until it ends."""
    if is_sqlite(connection):
        return  # BEGIN IMMEDIATE already holds the single database write lock
    connection.exec_driver_sql("SET LOCAL jit = off")
    digest = hashlib.blake2b(f"{topic}\x00{group}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def as_utc(value: datetime) -> datetime:
    """Times read back from SQLite are naive UTC; give every caller an aware UTC time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
