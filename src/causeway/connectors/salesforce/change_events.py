"""Change Data Capture as a change feed: replay ids first, SystemModstamp polling as fallback.

Events say which records changed and who changed them (`changeOrigin`), seconds after the
commit and without scanning anything. The feed reads the events of one object after a replay
id and hands out the records they name, read back in their current state (deletions
included), each tagged with the origin of its latest event.

It starts with a catch-up: the replay id at the tip is noted first, then every record is read
by SystemModstamp polling, then events are read from the noted tip, so nothing committed in
between is missed (a record read twice is deduplicated downstream). The catch-up is over only
once polling has read past the moment the tip was noted: polls hold back the last seconds
(the settle interval), and a record changed just before the tip has no event to replay it.
When the replay id is no longer retained (`INVALID_REPLAY_ID`: the subscriber was away
longer than the event retention), the feed falls back to polling from the last SystemModstamp
it handed out, and returns to events once it has caught up.

The sandbox serves events over HTTP (`/services/data/vXX.X/causeway/events`); on a real org
the same feed reads the Pub/Sub API (docs/sandbox-crm.md maps one onto the other).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from causeway.connectors.contract import ChangePage, RawRecord
from causeway.connectors.errors import ConnectorError
from causeway.connectors.salesforce.client import SalesforceClient
from causeway.connectors.watermark import Watermark, advance, settled_until

Mode = Literal["catchup", "events"]
FALLBACK_OVERLAP = timedelta(minutes=5)
"""How far before the last stamp handed out a fallback poll starts: a transaction that
committed late with an earlier stamp is read again rather than skipped."""
Poll = Callable[[str, str | None, int], Awaitable[ChangePage]]
ReadByIds = Callable[[str, Sequence[str]], Awaitable[list[RawRecord]]]


def channel_for(object_name: str) -> str:
    """The CDC channel of an object: /data/AccountChangeEvent, /data/Invoice__ChangeEvent."""
    if object_name.endswith("__c"):
        return f"/data/{object_name[:-3]}__ChangeEvent"
    return f"/data/{object_name}ChangeEvent"


@dataclass(frozen=True)
class FeedCursor:
    """Where the feed stands: catching up by polling, or reading events after a replay id."""

    mode: Mode
    replay_id: int
    poll: str | None = None
    """The polling watermark: the catch-up's position, and the fallback's starting point."""
    noted: str | None = None
    """When the catch-up noted the tip: polling must have settled past it before events."""

    def encode(self) -> str:
        """The opaque cursor the poller stores."""
        return json.dumps(
            {"feed": self.mode, "replay": self.replay_id, "poll": self.poll, "noted": self.noted}
        )

    @classmethod
    def decode(cls, cursor: str | None) -> FeedCursor | None:
        """Read a cursor written by `encode`; a plain polling watermark continues as catch-up."""
        if not cursor:
            return None
        data = json.loads(cursor)
        if "feed" not in data:
            return None
        mode: Mode = "events" if data["feed"] == "events" else "catchup"
        return cls(mode, int(data["replay"]), data.get("poll"), data.get("noted"))


class ChangeEventFeed:
    """Hands out changed records of one org, event-driven, with a polling fallback."""

    def __init__(
        self,
        client: SalesforceClient,
        poll: Poll,
        read_by_ids: ReadByIds,
        settle: timedelta = timedelta(seconds=2),
    ) -> None:
        self.client = client
        self.poll = poll
        self.read_by_ids = read_by_ids
        self.settle = settle

    async def tip(self, object_name: str) -> int:
        """The replay id of the newest retained event of the object's channel."""
        body = await self._events(object_name, -1, 1)
        return int(body["latestReplayId"])

    async def _events(self, object_name: str, replay_id: int, limit: int) -> dict[str, Any]:
        response = await self.client.request(
            "GET",
            f"{self.client.data_path}/causeway/events",
            params={
                "channel": channel_for(object_name),
                "replayId": str(replay_id),
                "limit": str(limit),
            },
            object_name=object_name,
        )
        body: dict[str, Any] = response.json()
        return body

    async def changes(self, object_name: str, cursor: str | None, limit: int) -> ChangePage:
        """The next page of changed records, and the cursor after it."""
        state = FeedCursor.decode(cursor)
        if state is None:
            # Note the tip before reading anything: events after it replay what the
            # catch-up might have missed.
            state = self._catch_up_from(await self.tip(object_name), cursor or None)
        if state.mode == "catchup":
            return await self._catch_up(object_name, state, limit)
        try:
            return await self._from_events(object_name, state, limit)
        except ConnectorError as error:
            if error.code != "INVALID_REPLAY_ID":
                raise
            # Away longer than the retention: poll from the last stamp handed out, with an
            # overlap; records read twice are dropped downstream by their idempotency key.
            mark = Watermark.decode(state.poll)
            start = (
                Watermark(mark.modified_at - FALLBACK_OVERLAP, mark.last_id).encode()
                if mark
                else None
            )
            fallback = self._catch_up_from(await self.tip(object_name), start)
            return await self._catch_up(object_name, fallback, limit)

    @staticmethod
    def _catch_up_from(replay_id: int, poll: str | None) -> FeedCursor:
        return FeedCursor("catchup", replay_id, poll, datetime.now(UTC).isoformat())

    async def _catch_up(self, object_name: str, state: FeedCursor, limit: int) -> ChangePage:
        horizon = settled_until(datetime.now(UTC), self.settle)
        page = await self.poll(object_name, state.poll, limit)
        settled = state.noted is None or horizon >= datetime.fromisoformat(state.noted)
        done = not page.more and settled
        following = FeedCursor(
            "events" if done else "catchup", state.replay_id, page.cursor or state.poll, state.noted
        )
        # After the last polled page come the events since the tip; a poll that has not yet
        # settled past the tip waits for the next round.
        return ChangePage(page.records, following.encode(), more=page.more or done)

    async def _from_events(self, object_name: str, state: FeedCursor, limit: int) -> ChangePage:
        body = await self._events(object_name, state.replay_id, limit)
        events: list[dict[str, Any]] = body.get("events", [])
        origins: dict[str, str | None] = {}
        for event in events:
            header = event["payload"]["ChangeEventHeader"]
            for record_id in header.get("recordIds", []):
                # Latest event wins; insertion order follows the first mention.
                origins[str(record_id)] = header.get("changeOrigin") or None
        records = await self.read_by_ids(object_name, list(origins)) if origins else []
        tagged = sorted(
            (replace(record, origin=origins.get(record.id)) for record in records),
            key=lambda record: (record.modified_at is None, record.modified_at, record.id),
        )
        replay_id = int(events[-1]["event"]["replayId"]) if events else state.replay_id
        latest = advance(Watermark.decode(state.poll), tagged)
        following = FeedCursor(
            "events", replay_id, latest.encode() if latest is not None else state.poll
        )
        return ChangePage(tagged, following.encode(), more=len(events) >= limit)
