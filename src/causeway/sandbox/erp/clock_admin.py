"""ERP-only admin routes: read and advance the business clock, release credit blocks."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from causeway.sandbox.admin import require_admin


class Operations(Protocol):
    """What the admin routes drive; implemented by the app's ERP state."""

    def now(self) -> datetime:
        """Current business time."""
        ...

    def speed(self) -> float:
        """Business minutes per real second."""
        ...

    def advance(self, minutes: float) -> int:
        """Move business time on; return the lifecycle steps taken."""
        ...

    def run_lifecycle(self) -> int:
        """Run due steps; return how many."""
        ...

    def release_credit(self, sales_order: str) -> str | None:
        """Release a credit block; the new status, or None for an unknown order."""
        ...


class ClockState(BaseModel):
    """The business clock as the lifecycle sees it."""

    now: datetime
    speed: float = Field(description="simulated business minutes per real second")
    steps: int = Field(0, description="lifecycle steps taken by this call")


class Advance(BaseModel):
    """Move business time forward."""

    minutes: float = Field(gt=0, le=10 * 365 * 24 * 60)


class CreditRelease(BaseModel):
    """The order's credit status after release."""

    SalesOrder: str
    TotalCreditCheckStatus: str


def clock_router(operations: Operations, admin_token: str) -> APIRouter:
    """Routes under /__admin for the clock, the lifecycle and credit release."""
    router = APIRouter(
        prefix="/__admin", tags=["admin"], dependencies=[Depends(require_admin(admin_token))]
    )

    @router.get("/clock")
    def read_clock() -> ClockState:
        return ClockState(now=operations.now(), speed=operations.speed())

    @router.post("/clock/advance")
    def advance(request: Advance) -> ClockState:
        steps = operations.advance(request.minutes)
        return ClockState(now=operations.now(), speed=operations.speed(), steps=steps)

    @router.post("/lifecycle/run")
    def run_lifecycle() -> ClockState:
        steps = operations.run_lifecycle()
        return ClockState(now=operations.now(), speed=operations.speed(), steps=steps)

    @router.post("/sales-orders/{sales_order}/release-credit")
    def release_credit(sales_order: str) -> CreditRelease:
        status = operations.release_credit(sales_order)
        if status is None:
            raise HTTPException(status_code=404, detail=f"Sales order {sales_order} not found")
        return CreditRelease(SalesOrder=sales_order, TotalCreditCheckStatus=status)

    return router
