"""A fake ERP and CRM at the process services' boundary, and a store with cross-references.

The fake ERP answers like the sandbox's rules, in a few lines: a customer record per number,
list prices per material less nothing, confirmation up to `stock`, and the credit check of
exposure plus the order's value against the limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from causeway.api.client_secrets import hash_secret
from causeway.api.crm_account import CrmAccount, CrmOrder
from causeway.api.settings import ApiClient, ApiSettings
from causeway.connectors.errors import InvalidRecordError
from causeway.connectors.s4hana.customer_account import (
    ErpCustomer,
    InvoiceSummary,
    SalesArea,
    SalesOrderSummary,
    Scan,
)
from causeway.connectors.s4hana.simulation import (
    QuoteLine,
    SimulatedLine,
    Simulation,
)
from causeway.connectors.s4hana.simulation import SalesArea as OrderArea
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES
from causeway.store.tables.sync import golden_record, sync_state, xref
from causeway.sync.golden import Golden, GoldenStore
from causeway.sync.xref import Xref

from .conftest import KEY

SECRETS = {"validator": "validator-secret-0123", "reader": "reader-secret-01234567",
           "rep": "rep-secret-0123456789"}
SCOPES = {"validator": ("quotes:validate",), "reader": ("accounts:read",),
          "rep": ("quotes:price",)}
ACCOUNT_ID = "001000000000001AAA"
CANONICAL = "6f1c2a54-2b1e-4a6e-9d0f-0b6e5f1a2c3d"


def process_settings() -> ApiSettings:
    clients = {
        name: ApiClient(secret_hash=hash_secret(secret, n=16, r=1, p=1), scopes=SCOPES[name])
        for name, secret in SECRETS.items()
    }
    return ApiSettings.model_validate({"signing_key": KEY, "clients": clients})


def store_engine(tmp_path: Path) -> Engine:
    """SQLite with the runtime tables and the sync tables the directory reads."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    metadata.create_all(engine, tables=[*RUNTIME_TABLES, xref, golden_record, sync_state])
    return engine


def link(engine: Engine, canonical: str, **ids: str) -> None:
    """Record that `canonical` is `ids[system]` in each system, and give it a golden record."""
    with engine.begin() as connection:
        for system, system_id in ids.items():
            Xref(connection).link("customer", canonical, system, system_id)
        GoldenStore(connection).save(Golden(
            "customer", canonical, {"party": {"name": "Acme GmbH"}, "currency": "EUR"},
            {"party": ["salesforce", "2026-12-01T00:00:00+00:00"]},
        ))


def erp_customer(number: str = "10000002", **changes: object) -> ErpCustomer:
    area = SalesArea("1010", "10", "00", "EUR", Decimal("10000"), Decimal("2500"), "", "", "",
                     False)
    customer = ErpCustomer(
        business_partner=number, customer=number, name="ACME GMBH", reference="",
        centrally_blocked=False, archived=False, order_block="", delivery_block="",
        billing_block="", posting_blocked=False, deleted=False, sales_areas=(area,),
    )
    area_changes = {k.removeprefix("area_"): v for k, v in changes.items() if k.startswith("area_")}
    own = {k: v for k, v in changes.items() if not k.startswith("area_")}
    if area_changes:
        own["sales_areas"] = (replace(area, **area_changes),)  # type: ignore[arg-type]
    return replace(customer, **own)  # type: ignore[arg-type]


def invoice(number: str, gross: str, due: date, cleared_on: date | None = None,
            currency: str = "EUR") -> InvoiceSummary:
    return InvoiceSummary(number, date(2026, 11, 1), Decimal(gross), Decimal(gross), currency,
                          "C" if cleared_on else "A", due, cleared_on)


def order(number: str, net: str, currency: str = "EUR") -> SalesOrderSummary:
    return SalesOrderSummary(number, date(2026, 12, 1), f"PO-{number}", Decimal(net), currency,
                             "A", "A", "A", date(2026, 12, 8))


@dataclass
class FakeErp:
    """Customers by number; prices per material; every call recorded; `error` raised if set."""

    customers: dict[str, ErpCustomer] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)
    stock: Decimal = Decimal(1000)
    orders: list[SalesOrderSummary] = field(default_factory=list)
    invoices: list[InvoiceSummary] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    error: Exception | None = None
    delay: float = 0.0

    async def _enter(self, call: str) -> None:
        self.calls.append(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error

    async def customer(self, *, business_partner: str | None = None,
                       customer: str | None = None,
                       reference: str | None = None) -> ErpCustomer | None:
        await self._enter("customer")
        for found in self.customers.values():
            if business_partner is not None and found.business_partner == business_partner:
                return found
            if customer is not None and found.customer == customer:
                return found
            if reference is not None and found.reference == reference:
                return found
        return None

    async def simulate_order(self, sold_to: str, currency: str, lines: Sequence[QuoteLine], *,
                             sales_area: OrderArea | None = None,
                             timeout_s: float | None = None) -> Simulation:
        await self._enter("simulate")
        priced = []
        for position, line in enumerate(lines, start=1):
            if line.material not in self.prices:
                raise InvalidRecordError(
                    f"Item {position * 10}: material {line.material} does not exist",
                    system="s4hana", object_name="A_SalesOrderItem", record_id=sold_to,
                    field="Material", status=400,
                )
            price = self.prices[line.material]
            confirmed = min(line.quantity, self.stock)
            priced.append(SimulatedLine(
                str(position * 10), line.material, line.quantity, "PC", confirmed,
                date(2026, 12, 9), price, price * line.quantity, currency, "1010",
            ))
        total = sum((line.net_amount or Decimal(0) for line in priced), Decimal(0))
        area = self.customers[sold_to].first_sales_area
        assert area is not None
        assert area.credit_limit is not None
        status = "A" if (area.credit_exposure or 0) + total <= area.credit_limit else "B"
        return Simulation(sold_to, currency, tuple(priced), total, status)

    async def open_sales_orders(self, customer: str, cap: int) -> Scan[SalesOrderSummary]:
        await self._enter("orders")
        return Scan(tuple(self.orders[:cap]), len(self.orders) <= cap)

    async def open_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        await self._enter("invoices")
        found = [i for i in self.invoices if i.clearing_status != "C"]
        return Scan(tuple(found[:cap]), len(found) <= cap)

    async def cleared_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        await self._enter("payments")
        found = [i for i in self.invoices if i.clearing_status == "C"]
        return Scan(tuple(found[:cap]), len(found) <= cap)


@dataclass
class FakeCrm:
    """Accounts by id and their open orders; `error` raised if set."""

    accounts: dict[str, CrmAccount] = field(default_factory=dict)
    orders: list[CrmOrder] = field(default_factory=list)
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    async def account(self, account_id: str) -> CrmAccount | None:
        self.calls.append("account")
        if self.error is not None:
            raise self.error
        return self.accounts.get(account_id)

    async def open_orders(self, account_id: str, cap: int) -> Scan[CrmOrder]:
        self.calls.append("orders")
        return Scan(tuple(self.orders[:cap]), len(self.orders) <= cap)


NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
