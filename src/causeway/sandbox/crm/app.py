"""The CRM sandbox application: a Salesforce-compatible org behind FastAPI.

`create_app(settings, seed)` builds the org, mounts the REST, login and admin routes,
renders every error in Salesforce's dialect and puts the fault plan in front of it all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from causeway.sandbox.admin import admin_router, require_admin
from causeway.sandbox.crm import (
    routes_auth,
    routes_composite,
    routes_events,
    routes_meta,
    routes_query,
    routes_sobjects,
)
from causeway.sandbox.crm.errors import SalesforceError, render_error
from causeway.sandbox.crm.gate import ApiGate, StripTrailingSlash
from causeway.sandbox.crm.ids import to_18
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.crm.settings import CrmSettings
from causeway.sandbox.faults import FaultInjector, install_faults
from causeway.sandbox.seed import SeedUniverse

__all__ = ["CrmSettings", "create_app"]


def _salesforce_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, SalesforceError)
    return error.response()


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if not request.url.path.startswith("/services/"):
        return await http_exception_handler(request, error)
    if error.status_code == 405:
        return render_error(405, "METHOD_NOT_ALLOWED",
                            f"HTTP Method '{request.method}' not allowed.")
    if error.status_code == 404:
        return render_error(404, "NOT_FOUND", "The requested resource does not exist")
    return render_error(error.status_code, "UNKNOWN_EXCEPTION", str(error.detail))


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if not request.url.path.startswith("/services/"):
        return await request_validation_exception_handler(request, error)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                         for e in error.errors())
    return render_error(400, "INVALID_SEARCH" if "q" in problems else "MALFORMED_QUERY",
                        f"Invalid request parameter: {problems}")


class MergeRequest(BaseModel):
    """The merge call's arguments: the master and the one or two records merged into it."""

    sobject: str = "Account"
    masterRecordId: str  # Salesforce's own parameter names
    recordIds: list[str]


def _crm_admin(crm: CrmOrg, admin_token: str) -> APIRouter:
    router = APIRouter(prefix="/__admin/crm", tags=["admin"],
                       dependencies=[Depends(require_admin(admin_token))])

    @router.post("/undelete/{record_id}")
    def undelete(record_id: str) -> dict[str, Any]:
        """Restore a record from the recycle bin (emits an UNDELETE change event)."""
        target = to_18(record_id)
        with crm.store.transaction("com/salesforce/api/soap/60.0;client=causeway-admin") as tx:
            sobject = crm.store.undelete(tx, target)
        return {"id": target, "sobject": sobject, "success": True}

    @router.post("/merge")
    def merge(request: MergeRequest) -> dict[str, Any]:
        """Merge records into a master, as Salesforce's merge call (SOAP API, Apex) does."""
        master = to_18(request.masterRecordId)
        losers = [to_18(record_id) for record_id in request.recordIds]
        with crm.store.transaction("com/salesforce/api/soap/60.0;client=causeway-admin") as tx:
            crm.store.merge(tx, request.sobject, master, losers)
        return {"id": master, "mergedRecordIds": losers, "success": True}

    @router.get("/usage")
    def usage() -> dict[str, int]:
        """API requests counted in the last 24 hours."""
        return {"used": crm.usage.used, "limit": crm.usage.limit}

    return router


def create_app(settings: CrmSettings, seed: SeedUniverse | None = None) -> FastAPI:
    """A Salesforce-compatible org; `app.state.crm` is the org (reset, load_seed)."""
    injector = FaultInjector(settings.faults)
    crm = CrmOrg(settings, seed, injector)
    app = FastAPI(title="Causeway CRM sandbox", version=settings.api_version,
                  docs_url="/__admin/docs", redoc_url=None, openapi_url="/__admin/openapi.json")
    app.state.crm = crm
    app.state.fault_injector = injector
    for module in (routes_auth, routes_meta, routes_sobjects, routes_query, routes_composite,
                   routes_events):
        app.include_router(module.router)
    app.include_router(admin_router(injector, crm.reset, settings.admin_token))
    app.include_router(_crm_admin(crm, settings.admin_token))
    app.add_exception_handler(SalesforceError, _salesforce_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_middleware(ApiGate, sessions=crm.sessions, usage=crm.usage)
    install_faults(app, injector, _render_fault)
    app.add_middleware(StripTrailingSlash)
    return app


def _render_fault(status: int, error_code: str, message: str) -> Response:
    codes = {429: "REQUEST_LIMIT_EXCEEDED", 500: "UNKNOWN_EXCEPTION", 503: "SERVER_UNAVAILABLE"}
    if status == 429:
        message = "TotalRequests Limit exceeded."
    return render_error(status, codes.get(status, error_code), message)
