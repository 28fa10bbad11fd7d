"""Change events shaped like Salesforce Change Data Capture, with replay ids and retention.

Every committed create, update, delete and undelete becomes one event on the entity's
channel (/data/AccountChangeEvent) and on /data/ChangeEvents, so integrations can rehearse
change-driven sync, replay from a stored id, and echo suppression via changeOrigin.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, Literal

from causeway.sandbox.crm.errors import SalesforceError

ChangeType = Literal["CREATE", "UPDATE", "DELETE", "UNDELETE"]
ALL_CHANGES = "/data/ChangeEvents"
# Fields CDC leaves out of the payload: the id travels in the header.
_HIDDEN = frozenset({"Id", "IsDeleted", "SystemModstamp"})


@dataclass
class Change:
    """One record change inside a transaction, before it becomes an event."""

    sobject: str
    record_id: str
    change_type: ChangeType
    values: dict[str, Any] = field(default_factory=dict)
    changed_fields: list[str] = field(default_factory=list)
    nulled_fields: list[str] = field(default_factory=list)


def channel_for(sobject: str) -> str:
    """The CDC channel of an entity: /data/AccountChangeEvent, /data/Invoice__ChangeEvent."""
    if sobject.endswith("__c"):
        return f"/data/{sobject[:-3]}__ChangeEvent"
    return f"/data/{sobject}ChangeEvent"


def schema_id(sobject: str) -> str:
    """A stable identifier of the event schema, like the ids Pub/Sub hands out."""
    digest = hashlib.sha256(f"{sobject}ChangeEvent".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


class ReplayIdError(SalesforceError):
    """A replay id outside the retained window."""


class EventLog:
    """Retained change events in replay order; thread-safe."""

    def __init__(self, retention: int = 100_000,
                 duplicate: Callable[[], bool] = lambda: False) -> None:
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque()
        self._replay_ids: deque[int] = deque()
        self.retention = retention
        self._duplicate = duplicate
        self._next_replay_id = 1
        self._commit_number = 0

    @property
    def latest_replay_id(self) -> int:
        """The replay id of the newest event (0 when none was ever published)."""
        return self._next_replay_id - 1

    @property
    def oldest_replay_id(self) -> int:
        """The replay id of the oldest retained event."""
        with self._lock:
            return self._replay_ids[0] if self._replay_ids else self._next_replay_id

    def publish(self, changes: Iterable[Change], *, transaction_key: str, origin: str,
                user_id: str, committed: datetime) -> list[dict[str, Any]]:
        """Turn one transaction's changes into events; returns them as delivered."""
        published: list[dict[str, Any]] = []
        with self._lock:
            self._commit_number += 1
            for sequence, change in enumerate(changes, start=1):
                event = self._event(change, sequence, transaction_key, origin, user_id,
                                    committed)
                copies = 2 if self._duplicate() else 1
                for _ in range(copies):
                    self._append(event)
                    published.append(event)
        return published

    def _event(self, change: Change, sequence: int, transaction_key: str, origin: str,
               user_id: str, committed: datetime) -> dict[str, Any]:
        replay_id = self._next_replay_id
        self._next_replay_id += 1
        header = {
            "entityName": change.sobject,
            "recordIds": [change.record_id],
            "changeType": change.change_type,
            "changeOrigin": origin,
            "transactionKey": transaction_key,
            "sequenceNumber": sequence,
            "commitTimestamp": int(committed.timestamp() * 1000),
            "commitNumber": self._commit_number,
            "commitUser": user_id,
            "changedFields": list(change.changed_fields),
            "nulledFields": list(change.nulled_fields),
            "diffFields": [],
        }
        payload = {"ChangeEventHeader": header}
        payload.update({k: v for k, v in change.values.items() if k not in _HIDDEN})
        return {
            "channel": channel_for(change.sobject),
            "schema": schema_id(change.sobject),
            "payload": payload,
            "event": {"replayId": replay_id},
        }

    def _append(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        self._replay_ids.append(event["event"]["replayId"])
        while len(self._events) > self.retention:
            self._events.popleft()
            self._replay_ids.popleft()

    def restore(self, events: Iterable[dict[str, Any]], next_replay_id: int,
                commit_number: int) -> None:
        """Reload retained events (after a restart)."""
        with self._lock:
            self._events.clear()
            self._replay_ids.clear()
            for event in events:
                self._append(event)
            self._next_replay_id = max(next_replay_id, self.latest_replay_id + 1, 1)
            self._commit_number = commit_number

    @property
    def commit_number(self) -> int:
        """Number of transactions published so far."""
        return self._commit_number

    def read(self, channel: str, replay_id: int, limit: int) -> list[dict[str, Any]]:
        """Events on `channel` after `replay_id` (-2: all retained, -1: only new ones)."""
        with self._lock:
            latest = self._next_replay_id - 1
            oldest = self._replay_ids[0] if self._replay_ids else latest + 1
            if replay_id == -1:
                return []
            if replay_id == -2:
                start = 0
            elif replay_id < oldest - 1 or replay_id > latest or replay_id < -2:
                raise ReplayIdError.of(
                    400, "INVALID_REPLAY_ID",
                    f"The replayId {replay_id} you provided was invalid. Please provide a valid "
                    "ID, -2 to replay all events, or -1 to replay only new events.")
            else:
                start = bisect_right(self._replay_ids, replay_id)
            found: list[dict[str, Any]] = []
            for event in islice(self._events, start, None):
                if channel in (ALL_CHANGES, event["channel"]):
                    found.append(event)
                    if len(found) >= limit:
                        break
            return found

    def clear(self) -> None:
        """Forget every event (admin reset); replay ids keep counting, as stored ones must
        not silently point at different events."""
        with self._lock:
            self._events.clear()
            self._replay_ids.clear()
