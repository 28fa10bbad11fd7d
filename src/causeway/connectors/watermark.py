"""Compound watermarks for polling: (modification time, record id), never just a time.

A time-only watermark skips records that share the last timestamp of a page, and one read
up to "now" skips rows whose transaction started earlier but committed later. The cursor
here orders by (time, id), resumes strictly after the last pair handed out, and stops a
settle interval short of the system's clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from causeway.connectors.contract import RawRecord


@dataclass(frozen=True, order=True)
class Watermark:
    """The last (modified_at, id) handed out; the next poll starts strictly after it."""

    modified_at: datetime
    last_id: str

    def encode(self) -> str:
        """The opaque cursor string stored by the caller."""
        return json.dumps({"t": self.modified_at.isoformat(), "id": self.last_id})

    @classmethod
    def decode(cls, cursor: str | None) -> Watermark | None:
        """Read a cursor written by `encode`; None means "from the beginning"."""
        if not cursor:
            return None
        try:
            data = json.loads(cursor)
            moment = datetime.fromisoformat(data["t"])
            last_id = str(data["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not a watermark cursor: {cursor!r}") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return cls(moment, last_id)

    def precedes(self, modified_at: datetime, record_id: str) -> bool:
        """True if a record at (modified_at, record_id) comes after this watermark."""
        return (modified_at, record_id) > (self.modified_at, self.last_id)


def advance(current: Watermark | None, records: list[RawRecord]) -> Watermark | None:
    """The watermark after handing out `records` (already ordered by time, then id)."""
    latest = current
    for record in records:
        if record.modified_at is None:
            continue
        candidate = Watermark(record.modified_at, record.id)
        if latest is None or candidate > latest:
            latest = candidate
    return latest


def settled_until(now: datetime, settle: timedelta) -> datetime:
    """The newest modification time safe to read: later ones may still gain earlier siblings."""
    return now - settle
