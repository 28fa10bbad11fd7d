"""Settings of one CRM sandbox org: credentials, limits, persistence and faults."""

from __future__ import annotations

from pydantic import BaseModel, Field

from causeway.sandbox.faults import FaultPlan


class CrmSettings(BaseModel):
    """How the sandbox org is reached and how it behaves; the defaults are the documented
    demo credentials, meant to be overridden outside a laptop."""

    database: str = ":memory:"
    client_id: str = "causeway-demo"
    client_secret: str = "causeway-demo-secret"  # noqa: S105 - published demo credentials
    username: str = "integration@causeway.test"
    password: str = "causeway"  # noqa: S105 - published demo credentials
    security_token: str = ""
    admin_token: str = "causeway-admin"  # noqa: S105 - published demo credentials
    api_version: str = "60.0"
    instance_url: str = Field("", description="set once the port is known; else from Host")
    daily_api_limit: int = Field(1_000_000, ge=1)
    query_batch_size: int = Field(2000, ge=200, le=2000)
    faults: FaultPlan = FaultPlan()
    jwt_public_key: str | None = Field(
        None, description="PEM public key or certificate of the connected app (RS256 JWT)")
    session_timeout_s: float = Field(2 * 60 * 60, gt=0)
    event_retention: int = Field(100_000, ge=1)
