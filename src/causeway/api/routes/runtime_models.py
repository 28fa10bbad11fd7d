"""Request and response bodies of the runtime routes.

Request models forbid unknown fields: a misspelt filter must fail loudly, not widen a bulk
replay to everything. Names are bounded and free of control characters, so nothing a client
sends can reach the database in a shape it would refuse.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from causeway.connectors.errors import ErrorClass
from causeway.runtime.backbone import DeadLetterQuery

MAX_ID = 2**63 - 1
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Status = Literal["parked", "replayed", "discarded"]


class _Filters(BaseModel):
    """The fields a dead-letter filter shares between the list and the bulk routes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: Name | None = None
    group: Name | None = None
    system: Name | None = Field(None, description="the system the record came from or went to")
    object_name: Name | None = Field(None, description='e.g. "Account", "A_BusinessPartner"')
    error_class: ErrorClass | None = None
    since: AwareDatetime | None = Field(None, description="parked at or after (ISO 8601, zoned)")
    until: AwareDatetime | None = Field(None, description="parked before (ISO 8601, zoned)")

    def query(
        self, *, status: str = "parked", after_id: int = 0, limit: int = 100
    ) -> DeadLetterQuery:
        """The runtime's query for these filters."""
        return DeadLetterQuery(
            topic=self.topic,
            group=self.group,
            status=status,
            system=self.system,
            object_name=self.object_name,
            error_class=self.error_class.value if self.error_class else None,
            since=self.since,
            until=self.until,
            after_id=after_id,
            limit=limit,
        )


class DeadLetterFilter(_Filters):
    """Query parameters of `GET /v1/runtime/dead-letters`; every one narrows the list."""

    status: Status = "parked"
    after_id: int = Field(0, ge=0, le=MAX_ID, description="page on after this id")
    limit: int = Field(100, ge=1, le=1000)


class DeadLetterSelection(_Filters):
    """Which parked dead letters a bulk call acts on: at least one filter, or `all: true`."""

    all: bool = Field(False, description="act on every parked dead letter (no filter given)")

    @model_validator(mode="after")
    def _deliberate(self) -> DeadLetterSelection:
        narrowed = self.query().narrows()
        if self.all and narrowed:
            raise ValueError("give filters or all: true, not both")
        if not self.all and not narrowed:
            raise ValueError("name at least one filter, or set all: true to act on every letter")
        return self


def _storable(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        orjson.dumps(payload)  # refuses >64-bit integers, lone surrogates, deep nesting
    except orjson.JSONEncodeError as error:
        raise ValueError(f"the payload cannot be stored: {error}") from None
    if not _finite(payload):
        raise ValueError("the payload holds NaN or Infinity, which JSON cannot carry")
    return payload


def _finite(value: Any) -> bool:
    # Python's JSON parser accepts NaN and Infinity; stored, they would turn into null.
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


Payload = Annotated[dict[str, Any], AfterValidator(_storable)]
"""A JSON object the store can keep (64-bit integers, valid Unicode, bounded nesting)."""


class PauseRequest(BaseModel):
    """Why a flow is paused: shown to every operator until it is resumed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]+$")


class AttemptOut(BaseModel):
    """One failed delivery: retried after `delay_seconds`, or parked (the last one)."""

    model_config = ConfigDict(from_attributes=True)

    attempt: int
    at: datetime
    outcome: str
    error_class: str
    error: str
    delay_seconds: float | None


class DeadLetterOut(BaseModel):
    """A dead letter: where it was parked, why, and the payload a replay would deliver."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    group: str
    offset: int
    envelope_id: str
    partition_key: str
    status: str
    reason: str
    error_class: str
    record: str | None
    field: str | None
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    replayed_as: str | None
    history: list[AttemptOut] = Field(
        default_factory=list, description="failed attempts, oldest first (one letter only)"
    )


class DeadLetterPage(BaseModel):
    """Dead letters oldest first; pass `next_after_id` as `after_id` for the next page."""

    items: list[DeadLetterOut]
    next_after_id: int | None


class Replayed(BaseModel):
    """A replayed dead letter and the new envelope that carries it."""

    dead_letter_id: int
    envelope_id: str


class BulkReplayed(BaseModel):
    """Every dead letter a bulk replay put back, oldest first."""

    count: int
    replayed: list[Replayed]


class Discarded(BaseModel):
    """Dead letters closed without replay."""

    count: int
    discarded: list[int]


class FlowOut(BaseModel):
    """One consumer group on one topic: backlog, lag, dead letters and pause state."""

    model_config = ConfigDict(from_attributes=True)

    topic: str
    group: str
    paused: bool
    pause_reason: str | None
    ready: int
    in_flight: int
    scheduled: int
    parked: int
    done: int
    lag_seconds: float


class FlowState(BaseModel):
    """A flow's pause state after a pause or resume."""

    topic: str
    group: str
    paused: bool
    pause_reason: str | None
