"""The admin endpoint both sandboxes share: fault plan, outages, reset and health."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException
from pydantic import BaseModel, Field, ValidationError

from causeway.sandbox.faults import FaultInjector, FaultPlan, OutageWindow


def require_admin(admin_token: str) -> Callable[..., None]:
    """A FastAPI dependency that lets only callers with the admin bearer token through."""

    def check(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token, admin_token):
            raise HTTPException(
                status_code=401,
                detail="admin endpoints need 'Authorization: Bearer <admin token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


class OutageRequest(BaseModel):
    """Start an outage now."""

    seconds: float = Field(gt=0, le=86_400)
    status: int = Field(503, ge=500, le=599)


class FaultState(BaseModel):
    """The plan in force and how many faults it has injected so far."""

    plan: FaultPlan
    injected: dict[str, int]
    peak_per_second: int = Field(
        0,
        description="the most calls admitted in one second over the last hour (calls the "
        "rate limit counts, when one is in force)",
    )


def admin_router(injector: FaultInjector, reset: Callable[[], None], admin_token: str) -> APIRouter:
    """Routes under /__admin: read and change faults, start an outage, reset, health."""
    router = APIRouter(prefix="/__admin", tags=["admin"])
    guarded = APIRouter(dependencies=[Depends(require_admin(admin_token))])

    def state() -> FaultState:
        return FaultState(
            plan=injector.plan,
            injected=dict(injector.counters),
            peak_per_second=injector.peak_admitted(),
        )

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @guarded.get("/faults")
    def get_faults() -> FaultState:
        return state()

    @guarded.put("/faults")
    def put_faults(plan: FaultPlan) -> FaultState:
        injector.replace(plan)
        return state()

    @guarded.patch("/faults")
    def patch_faults(changes: Annotated[dict[str, Any], Body()]) -> FaultState:
        try:
            injector.patch(changes)
        except ValidationError as error:
            raise HTTPException(status_code=422, detail=error.errors(include_url=False)) from error
        return state()

    @guarded.delete("/faults")
    def delete_faults() -> FaultState:
        injector.clear()
        return state()

    @guarded.post("/faults/outage")
    def outage(request: OutageRequest) -> OutageWindow:
        return injector.start_outage(request.seconds, request.status)

    @guarded.post("/reset")
    def reset_state() -> dict[str, str]:
        reset()
        injector.counters.clear()
        injector.admitted.clear()
        return {"status": "reset"}

    router.include_router(guarded)
    return router
