"""Reading change events over HTTP, with replay ids and long polling.

Real orgs deliver CDC over the Pub/Sub API (gRPC) or CometD; this resource gives the same
events and replay semantics over plain HTTP (see docs/sandbox-crm.md for the mapping).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.events import ALL_CHANGES, channel_for
from causeway.sandbox.crm.wire import check_version, org

router = APIRouter(prefix="/services/data/v{version}/causeway", tags=["events"],
                   dependencies=[Depends(check_version)])
_POLL_S = 0.05
MAX_WAIT_S = 110.0


@router.get("/events")
async def events(
    request: Request,
    channel: str = ALL_CHANGES,
    replay_id: int = Query(-1, alias="replayId"),
    limit: int = Query(1000, ge=1, le=10000),
    wait: float = Query(0.0, ge=0, le=MAX_WAIT_S),
) -> dict[str, Any]:
    """Events on `channel` after `replayId`; waits up to `wait` seconds for new ones."""
    crm = org(request)
    channels = {ALL_CHANGES, *(channel_for(obj.name) for obj in crm.catalog)}
    if channel not in channels:
        raise SalesforceError.of(400, "INVALID_CHANNEL", f"Unknown channel: {channel}")
    log = crm.events
    tip = log.latest_replay_id
    after = tip if replay_id == -1 else replay_id
    found = log.read(channel, after, limit)
    deadline = time.monotonic() + wait
    while not found and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)
        found = log.read(channel, after, limit)
    latest = found[-1]["event"]["replayId"] if found else (after if after >= 0 else tip)
    return {"channel": channel, "events": found, "latestReplayId": latest}
