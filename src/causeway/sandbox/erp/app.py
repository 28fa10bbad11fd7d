"""The S/4HANA-compatible ERP sandbox as a FastAPI app: OData services, admin, faults."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from causeway.sandbox.admin import admin_router
from causeway.sandbox.erp.catalog import ProductPartRules
from causeway.sandbox.erp.change_documents import change_documents_router
from causeway.sandbox.erp.clock import SimulatedClock
from causeway.sandbox.erp.clock_admin import clock_router
from causeway.sandbox.erp.conditions import ConditionRecordRules, ConditionValidityRules
from causeway.sandbox.erp.contacts import ContactFunctionRules, ContactRules
from causeway.sandbox.erp.endpoint import Logon, odata_router
from causeway.sandbox.erp.errors import render_error
from causeway.sandbox.erp.lifecycle import Lifecycle
from causeway.sandbox.erp.order_simulation import SalesOrderSimulation
from causeway.sandbox.erp.orders import SalesOrderItemRules, SalesOrderRules
from causeway.sandbox.erp.partners import AddressRules, BusinessPartnerRules, CustomerPartRules
from causeway.sandbox.erp.returns import CustomerReturnItemRules, CustomerReturnRules
from causeway.sandbox.erp.returns_lifecycle import ReturnsLifecycle
from causeway.sandbox.erp.security import SessionRegistry
from causeway.sandbox.erp.seeding import load_seed
from causeway.sandbox.erp.store import Store
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.faults import FaultInjector, FaultPlan, install_faults
from causeway.sandbox.seed import SeedUniverse

_CLOCK_SETTING = "clock.now"
_TICK = timedelta(minutes=1)


class ErpSettings(BaseModel):
    """How the ERP sandbox runs; defaults suit a laptop demo."""

    database: str = ":memory:"
    username: str = "CAUSEWAY"
    password: str = "causeway"  # noqa: S105 - published demo credentials
    admin_token: str = "causeway-admin"  # noqa: S105 - published demo credentials
    page_size: int = Field(1000, ge=1)
    sap_client: str = "100"
    clock_speed: float = Field(1.0, ge=0, description="business minutes per real second")
    csrf_token_ttl_s: float = Field(1800.0, gt=0, description="CSRF token lifetime")
    batch_max_operations: int = Field(
        1000, ge=1, description="requests one $batch may carry (retrieves and change set parts)"
    )
    faults: FaultPlan = FaultPlan()


class ErpState:
    """The ERP behind the app: reset to the seed, load a seed, tick and steer the lifecycle."""

    def __init__(self, settings: ErpSettings, seed: SeedUniverse | None) -> None:
        self.store = Store(settings.database)
        persisted = self.store.setting(_CLOCK_SETTING)
        start = datetime.now(UTC)
        if persisted is not None:
            start = max(start, datetime.fromisoformat(persisted))
        self.clock = SimulatedClock(settings.clock_speed, start=start)
        self.erp = Erp(
            self.store,
            self.clock,
            settings.page_size,
            batch_max_operations=settings.batch_max_operations,
        )
        self.erp.rules.update({
            "A_BusinessPartner": BusinessPartnerRules(),
            "A_BusinessPartnerAddress": AddressRules(),
            "A_Customer": CustomerPartRules(),
            "A_CustomerSalesArea": CustomerPartRules(),
            "A_BusinessPartnerContact": ContactRules(),
            "A_BPContactToFuncAndDept": ContactFunctionRules(),
            "A_SalesOrder": SalesOrderRules(),
            "A_SalesOrderItem": SalesOrderItemRules(),
            "A_ProductDescription": ProductPartRules(),
            "A_ProductPlant": ProductPartRules(),
            "A_SlsPrcgConditionRecord": ConditionRecordRules(),
            "A_SlsPrcgCndnRecdValidity": ConditionValidityRules(),
            "A_CustomerReturn": CustomerReturnRules(),
            "A_CustomerReturnItem": CustomerReturnItemRules(),
        })
        self.erp.simulations["API_SALES_ORDER_SIMULATION_SRV"] = SalesOrderSimulation()
        self.lifecycle = Lifecycle(self.erp)
        self.returns = ReturnsLifecycle(self.erp)
        self.seed = seed
        self.seed_index: dict[str, str] = {}
        self._tick_lock = threading.Lock()
        self._last_tick = self.clock.now() - _TICK
        if seed is not None and self.store.is_empty():
            self.load_seed(seed)

    def load_seed(self, universe: SeedUniverse) -> None:
        """Add the universe's customers and products; remembers seed key -> partner number."""
        self.seed = universe
        self.seed_index = load_seed(self.erp, universe)

    def reset(self) -> None:
        """Back to the seeded state: all documents and changes are discarded."""
        self.store.clear()
        self.seed_index = {}
        if self.seed is not None:
            self.load_seed(self.seed)

    def tick(self) -> None:
        """Run due lifecycle steps once business time moved on by at least a minute."""
        now = self.clock.now()
        with self._tick_lock:
            if now - self._last_tick < _TICK:
                return
            self._last_tick = now
        self.lifecycle.run()
        self.returns.run()
        self.store.put_setting(_CLOCK_SETTING, now.isoformat())

    def now(self) -> datetime:
        """Current business time."""
        return self.clock.now()

    def speed(self) -> float:
        """Business minutes per real second."""
        return self.clock.speed

    def advance(self, minutes: float) -> int:
        """Advance business time and run every step that became due."""
        self.clock.advance(minutes)
        return self.run_lifecycle()

    def run_lifecycle(self) -> int:
        """Run due steps now, regardless of the tick interval."""
        steps = self.lifecycle.run() + self.returns.run()
        with self._tick_lock:
            self._last_tick = self.clock.now()
        self.store.put_setting(_CLOCK_SETTING, self.clock.now().isoformat())
        return steps

    def release_credit(self, sales_order: str) -> str | None:
        """Release a credit block; the order then proceeds to delivery."""
        order = self.lifecycle.release_credit(sales_order)
        return None if order is None else str(order.get("TotalCreditCheckStatus") or "")


def create_app(settings: ErpSettings, seed: SeedUniverse | None = None) -> FastAPI:
    """Build the ERP sandbox app; `app.state.erp` exposes reset(), load_seed() and the store."""
    state = ErpState(settings, seed)
    app = FastAPI(
        title="Causeway ERP sandbox (S/4HANA OData v2)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.erp = state
    logon = Logon(settings.username, settings.password, settings.sap_client)
    sessions = SessionRegistry(settings.csrf_token_ttl_s)
    app.include_router(odata_router(state.erp, logon, sessions, state.tick))
    injector = FaultInjector(settings.faults)
    app.state.faults = injector
    app.include_router(admin_router(injector, state.reset, settings.admin_token))
    app.include_router(clock_router(state, settings.admin_token))
    app.include_router(change_documents_router(state.erp.store, settings.admin_token))
    install_faults(app, injector, render_error)

    @app.middleware("http")
    async def business_date(request: Request, call_next: Any) -> Response:
        # The ERP stamps changes with its business clock, which may run ahead of real time;
        # the Date header tells clients the ERP's "now", so pollers settle against it.
        response: Response = await call_next(request)
        response.headers["Date"] = format_datetime(state.now(), usegmt=True)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/__admin"):
            return await http_exception_handler(request, error)
        response = render_error(error.status_code, f"HTTP/{error.status_code}", str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    return app

