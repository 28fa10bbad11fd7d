"""Discovery resources: API versions, the resources of a version, and org limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from causeway.sandbox.crm.wire import RELEASES, check_version, org

router = APIRouter(tags=["meta"])
versioned = APIRouter(prefix="/services/data/v{version}", dependencies=[Depends(check_version)])


@router.get("/services/data")
def versions() -> list[dict[str, str]]:
    """Every API version the org answers (no session needed, as in Salesforce)."""
    return [{"label": label, "url": f"/services/data/v{version}", "version": version}
            for version, label in RELEASES.items()]


@versioned.get("")
def resources(version: str) -> dict[str, str]:
    """The resources of one API version."""
    base = f"/services/data/v{version}"
    names = ("sobjects", "query", "queryAll", "limits", "composite")
    found = {name: f"{base}/{name}" for name in names}
    found["causeway"] = f"{base}/causeway/events"
    return found


@versioned.get("/limits")
def limits(request: Request) -> dict[str, Any]:
    """Org limits; DailyApiRequests is the one integrations watch."""
    usage = org(request).usage
    used = usage.used
    return {
        "DailyApiRequests": {"Max": usage.limit, "Remaining": max(usage.limit - used, 0)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "HourlyPublishedStandardVolumePlatformEvents": {"Max": 100000, "Remaining": 100000},
        "MonthlyPlatformEventsUsageEntitlement": {"Max": 3000000, "Remaining": 3000000},
    }


router.include_router(versioned)
