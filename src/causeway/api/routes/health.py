"""`GET /healthz`: is the process serving? Open to all, so it says nothing else."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The liveness answer."""

    status: str = "ok"


@router.get("/healthz", summary="Liveness")
def healthz() -> Health:
    """Answers as long as the process serves requests (load balancers, orchestrators)."""
    return Health()
