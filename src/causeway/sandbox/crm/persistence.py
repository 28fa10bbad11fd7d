"""SQLite persistence for the CRM sandbox, so a file-backed org survives a restart.

Records live in memory for fast SOQL; every committed transaction is written through to
SQLite (one row per record, JSON body) together with id counters and change events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, sobject TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (replay_id INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_replay ON events (replay_id);
"""


class Persistence:
    """A SQLite file holding the org's records, counters and retained change events."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def is_empty(self) -> bool:
        """True for a new file: the org still needs its seed."""
        row = self._db.execute("SELECT COUNT(*) FROM counters").fetchone()
        return bool(row[0] == 0)

    def load_records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(sObject name, record) for every stored record, deleted ones included."""
        for sobject, body in self._db.execute("SELECT sobject, body FROM records"):
            yield sobject, json.loads(body)

    def load_counters(self) -> dict[str, int]:
        """Id and auto-number counters."""
        return dict(self._db.execute("SELECT name, value FROM counters").fetchall())

    def load_events(self) -> list[dict[str, Any]]:
        """Retained change events in replay order."""
        rows = self._db.execute("SELECT body FROM events ORDER BY replay_id, rowid")
        return [json.loads(body) for (body,) in rows]

    def commit(self, records: Iterable[tuple[str, dict[str, Any]]], counters: dict[str, int],
               events: Iterable[dict[str, Any]], oldest_replay_id: int | None) -> None:
        """Write one committed transaction atomically."""
        db = self._db
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO records (id, sobject, body) VALUES (?, ?, ?)",
                [(record["Id"], sobject, json.dumps(record)) for sobject, record in records],
            )
            db.executemany("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)",
                           list(counters.items()))
            db.executemany("INSERT INTO events (replay_id, body) VALUES (?, ?)",
                           [(event["event"]["replayId"], json.dumps(event)) for event in events])
            if oldest_replay_id is not None:
                db.execute("DELETE FROM events WHERE replay_id < ?", (oldest_replay_id,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def clear(self) -> None:
        """Forget everything (before reseeding)."""
        self._db.executescript("DELETE FROM records; DELETE FROM counters; DELETE FROM events;")

    def close(self) -> None:
        """Release the file."""
        self._db.close()
