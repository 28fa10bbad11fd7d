"""`/v1/runtime/...`: dead letters and flows, the operators' verbs over HTTP.

Routes are plain `def`s: the backbone blocks, so FastAPI runs them in its threadpool and the
event loop stays free. Each change goes through `causeway.runtime.dead_letters` or the
backbone exactly as the CLI does, and is audited whether it succeeds or not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Security
from fastapi.responses import JSONResponse

from causeway.api.audit import audited
from causeway.api.auth import authorize
from causeway.api.problems import PROBLEM_RESPONSES, documented, problem_response
from causeway.api.routes.runtime_models import (
    MAX_ID,
    BulkReplayed,
    DeadLetterFilter,
    DeadLetterOut,
    DeadLetterPage,
    DeadLetterSelection,
    Discarded,
    FlowOut,
    FlowState,
    Name,
    PauseRequest,
    Payload,
    Replayed,
)
from causeway.api.scopes import RUNTIME_OPERATE, RUNTIME_READ
from causeway.api.tokens import Principal
from causeway.runtime import dead_letters
from causeway.runtime.backbone import Backbone
from causeway.runtime.errors import (
    DeadLetterNotFoundError,
    DeadLetterStateError,
    SubscriptionNotFoundError,
)

router = APIRouter(prefix="/v1/runtime", tags=["runtime"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Security(authorize, scopes=[RUNTIME_READ])]
Operator = Annotated[Principal, Security(authorize, scopes=[RUNTIME_OPERATE])]
LetterId = Annotated[int, Path(ge=1, le=MAX_ID, description="the dead letter's id")]
Topic = Annotated[Name, Path(description="the topic")]
Group = Annotated[Name, Path(description="the consumer group")]
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: documented("No such dead letter")}
NOT_PARKED: Responses = {**NOT_FOUND, 409: documented("The dead letter is not parked any more")}
NO_FLOW: Responses = {404: documented("No such topic and group")}


def _backbone(request: Request) -> Backbone:
    backbone: Backbone = request.app.state.backbone
    return backbone


Runtime = Annotated[Backbone, Depends(_backbone)]


@router.get("/dead-letters", summary="List dead letters by filter")
def list_dead_letters(
    filters: Annotated[DeadLetterFilter, Query()], backbone: Runtime, _: Reader
) -> DeadLetterPage:
    """Dead letters matching every given filter, oldest first, one page at a time."""
    query = filters.query(status=filters.status, after_id=filters.after_id, limit=filters.limit)
    letters = dead_letters.find(backbone, query)
    full = len(letters) == filters.limit
    return DeadLetterPage(
        items=[DeadLetterOut.model_validate(letter) for letter in letters],
        next_after_id=letters[-1].id if full and letters else None,
    )


@router.get("/dead-letters/{dead_letter_id}", summary="Show a dead letter", responses=NOT_FOUND)
def show_dead_letter(dead_letter_id: LetterId, backbone: Runtime, _: Reader) -> DeadLetterOut:
    """One dead letter with the payload a replay would deliver."""
    return DeadLetterOut.model_validate(backbone.dead_letter(dead_letter_id))


@router.put(
    "/dead-letters/{dead_letter_id}/payload",
    summary="Replace a dead letter's payload",
    responses=NOT_PARKED,
)
def edit_payload(
    dead_letter_id: LetterId, payload: Payload, backbone: Runtime, principal: Operator
) -> DeadLetterOut:
    """Fix the data a replay will deliver; the body is the whole new payload object."""
    with audited("dead_letter.edit", principal, dead_letter_id=dead_letter_id):
        letter = backbone.edit_dead_letter(dead_letter_id, payload)
    return DeadLetterOut.model_validate(letter)


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    summary="Replay a dead letter",
    responses=NOT_PARKED,
)
def replay_dead_letter(
    dead_letter_id: LetterId, backbone: Runtime, principal: Operator
) -> Replayed:
    """Put the (edited) envelope back at the tail of its partition, for its group only."""
    with audited("dead_letter.replay", principal, dead_letter_id=dead_letter_id) as details:
        envelope_id = backbone.replay_dead_letter(dead_letter_id)
        details["envelope_id"] = envelope_id
    return Replayed(dead_letter_id=dead_letter_id, envelope_id=envelope_id)


@router.post(
    "/dead-letters/{dead_letter_id}/discard",
    summary="Discard a dead letter",
    responses=NOT_PARKED,
)
def discard_dead_letter(
    dead_letter_id: LetterId, backbone: Runtime, principal: Operator
) -> Discarded:
    """Close the dead letter without replaying it."""
    with audited("dead_letter.discard", principal, dead_letter_id=dead_letter_id):
        backbone.discard_dead_letter(dead_letter_id)
    return Discarded(count=1, discarded=[dead_letter_id])


@router.post("/dead-letters/replay", summary="Replay every parked dead letter matching a filter")
def replay_matching(
    selection: DeadLetterSelection, backbone: Runtime, principal: Operator
) -> BulkReplayed:
    """Replay every match oldest first, so each entity's order holds."""
    targets = selection.model_dump(mode="json", exclude_defaults=True)
    with audited("dead_letter.replay_matching", principal, selection=targets) as details:
        pairs = dead_letters.replay_matching(backbone, selection.query())
        details["dead_letter_ids"] = [letter_id for letter_id, _ in pairs]
    replayed = [Replayed(dead_letter_id=letter, envelope_id=new) for letter, new in pairs]
    return BulkReplayed(count=len(replayed), replayed=replayed)


@router.post(
    "/dead-letters/discard", summary="Discard every parked dead letter matching a filter"
)
def discard_matching(
    selection: DeadLetterSelection, backbone: Runtime, principal: Operator
) -> Discarded:
    """Close every match without replaying it."""
    targets = selection.model_dump(mode="json", exclude_defaults=True)
    with audited("dead_letter.discard_matching", principal, selection=targets) as details:
        ids = dead_letters.discard_matching(backbone, selection.query())
        details["dead_letter_ids"] = ids
    return Discarded(count=len(ids), discarded=ids)


@router.get("/flows", summary="List flows")
def list_flows(backbone: Runtime, _: Reader) -> list[FlowOut]:
    """Every topic and consumer group with backlog, lag, dead letters and pause state."""
    return [FlowOut.model_validate(flow) for flow in dead_letters.flows(backbone)]


@router.post("/flows/{topic}/{group}/pause", summary="Pause a flow", responses=NO_FLOW)
def pause_flow(
    topic: Topic, group: Group, body: PauseRequest, backbone: Runtime, principal: Operator
) -> FlowState:
    """Stop deliveries to the group until it is resumed; workers claim nothing meanwhile."""
    with audited("flow.pause", principal, topic=topic, group=group):
        backbone.pause(topic, group, body.reason)
    return FlowState(topic=topic, group=group, paused=True, pause_reason=body.reason)


@router.post("/flows/{topic}/{group}/resume", summary="Resume a flow", responses=NO_FLOW)
def resume_flow(topic: Topic, group: Group, backbone: Runtime, principal: Operator) -> FlowState:
    """Let the group receive deliveries again."""
    with audited("flow.resume", principal, topic=topic, group=group):
        backbone.resume(topic, group)
    return FlowState(topic=topic, group=group, paused=False, pause_reason=None)


async def _letter_not_found(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DeadLetterNotFoundError)
    return problem_response(
        request, 404, "dead-letter-not-found", "Dead letter not found", str(error),
        extensions={"dead_letter_id": error.dead_letter_id},
    )


async def _letter_state(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DeadLetterStateError)
    return problem_response(
        request, 409, "dead-letter-not-parked", "Dead letter not parked", str(error),
        extensions={"dead_letter_id": error.dead_letter_id, "dead_letter_status": error.status},
    )


async def _flow_not_found(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SubscriptionNotFoundError)
    return problem_response(
        request, 404, "flow-not-found", "Flow not found", str(error),
        extensions={"topic": error.topic, "group": error.group},
    )


def install(app: FastAPI) -> None:
    """Mount the routes and answer the runtime's own errors as problems."""
    app.include_router(router)
    app.add_exception_handler(DeadLetterNotFoundError, _letter_not_found)
    app.add_exception_handler(DeadLetterStateError, _letter_state)
    app.add_exception_handler(SubscriptionNotFoundError, _flow_not_found)
