"""`/v1/timelines/{number}`: an order's timeline from any number a caller holds.

Sales has the CRM order number, finance the ERP sales order or invoice, support the
instance id from a log line; each finds the same steps, calls and milestones, with the
trace id that joins them to the traces. `causeway trace` prints the same data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request, Security
from pydantic import BaseModel, Field

from causeway.api.auth import authorize
from causeway.api.problems import PROBLEM_RESPONSES, Problem, documented
from causeway.api.scopes import ACTIVITY_READ
from causeway.api.tokens import Principal
from causeway.observe.activity import ActivityLog, Timeline

router = APIRouter(prefix="/v1/timelines", tags=["activity"], responses=PROBLEM_RESPONSES)
Reader = Annotated[Principal, Security(authorize, scopes=[ACTIVITY_READ])]
Number = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:@/-]+$",
        description="a CRM order id or number, an ERP document number, or an instance id",
    ),
]
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: documented("No process instance is known by this number"),
}


class EventOut(BaseModel):
    """One step, system call (under its step) or milestone."""

    id: int
    parent_id: int | None = Field(None, description="for a call: the step it was made in")
    kind: str = Field(description="step, call or milestone")
    name: str
    system: str | None
    status: str
    started_at: datetime
    duration_ms: float
    trace_id: str | None = Field(description="W3C trace id; null while tracing is off")
    detail: str | None = Field(None, description="why a step failed")


class TimelineOut(BaseModel):
    """Everything one process instance did, with the numbers it is known by."""

    instance_id: str
    process: str
    status: str = Field(description="the status of its latest step or milestone")
    keys: dict[str, list[str]]
    events: list[EventOut]

    @classmethod
    def of(cls, timeline: Timeline) -> TimelineOut:
        """The API's shape of a stored timeline."""
        return cls(
            instance_id=timeline.instance_id,
            process=timeline.process,
            status=timeline.status,
            keys=timeline.keys,
            events=[
                EventOut(
                    id=event.id or 0,
                    parent_id=event.parent_id,
                    kind=event.kind,
                    name=event.name,
                    system=event.system,
                    status=event.status,
                    started_at=event.started_at,
                    duration_ms=round(event.duration_ms, 1),
                    trace_id=event.trace_id,
                    detail=event.detail,
                )
                for event in timeline.events
            ],
        )


class TimelinesOut(BaseModel):
    """Usually one instance; more when a number is shared (an invoice billing two orders)."""

    number: str
    timelines: list[TimelineOut]


@router.get(
    "/{number}", summary="The timeline of an order by any of its numbers", responses=RESPONSES
)
def timeline(number: Number, request: Request, _: Reader) -> TimelinesOut:
    """Every step and system call of the instances known by `number`, oldest first."""
    log: ActivityLog = request.app.state.activity
    found = log.find(number)
    if not found:
        raise Problem(
            404, "timeline-not-found", "No process instance is known by this number", number
        )
    return TimelinesOut(number=number, timelines=[TimelineOut.of(t) for t in found])


def install(app: FastAPI, activity: ActivityLog) -> None:
    """Serve timelines from `activity`."""
    app.state.activity = activity
    app.include_router(router)
