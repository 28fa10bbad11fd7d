"""The demo's orders: sales reps booking orders in the CRM, order-to-cash carrying them on.

Reps create orders the way they do in Salesforce (a draft, its order products priced as the
ERP quotes them, then activation); the order-to-cash host, running in the demo's process,
takes each one to the ERP and back. The meter measures what a rep waits for: activation to
the ERP order number on the CRM order. Orders stopped for an operator (a credit block, a
price the ERP disagrees with) are the meter's exceptions: `causeway orders exceptions list`.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select

from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.soql import Query, is_in
from causeway.connectors.salesforce.soql import compare as soql_compare
from causeway.console.live import Meter
from causeway.processes.order_service import host
from causeway.processes.order_systems import OrderSettings, OrderSystems
from causeway.sandbox.launch import RunningSandboxes
from causeway.store.tables.sync import xref

ORDER_SLA_S = 30.0
"""A rep sees the ERP order number on the CRM order within half a minute."""


def order_systems(running: RunningSandboxes, database: Engine) -> OrderSystems:
    """Order-to-cash's connections to the demo's sandboxes, with demo-paced pollers."""
    if not (running.crm and running.crm_settings and running.tls):
        raise RuntimeError("the CRM sandbox is not running")
    if not (running.erp and running.erp_settings):
        raise RuntimeError("the ERP sandbox is not running")
    crm, erp = running.crm_settings, running.erp_settings
    return OrderSystems(
        database,
        SalesforceSettings(
            login_url=running.crm.url,
            client_id=crm.client_id,
            client_secret=SecretStr(crm.client_secret),
            ca_bundle=running.tls.cert,
            timeout_s=15,
        ),
        S4Settings(
            base_url=running.erp.url,
            username=erp.username,
            password=SecretStr(erp.password),
            sap_client=erp.sap_client,
            timeout_s=15,
        ),
        OrderSettings(customer_wait_s=120.0, customer_poll_s=5.0, settle_s=0.5,
                      poll_interval_s=1.0),
    )


@dataclass
class OrderDesk:
    """Reps booking orders at a steady pace, and the host that carries them on."""

    running: RunningSandboxes
    database: Engine
    url: str
    meter: Meter
    every_s: float = 3.0
    booked: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    _pending: dict[str, float] = field(default_factory=dict)
    _prices: dict[tuple[str, str], Decimal | None] = field(default_factory=dict)

    def run(self, stop: threading.Event) -> None:
        """Host order-to-cash and book orders until `stop` is set (a thread of its own)."""
        systems = order_systems(self.running, self.database)
        service, engine = host(systems, self.url)
        hosting = threading.Thread(target=service.run, args=(stop,), daemon=True)
        hosting.start()
        try:
            self._book(systems, stop)
        finally:
            stop.set()
            hosting.join(30)
            engine.shutdown()
            systems.close()

    def waiting(self) -> int:
        """Orders activated whose ERP number has not reached the CRM yet."""
        return len(self._pending)

    def _book(self, systems: OrderSystems, stop: threading.Event) -> None:
        accounts = self._linked_accounts()
        products = self._products(systems)
        book = self._query(systems, "Pricebook2", ("Id",), soql_compare("IsStandard", "=", True))
        if not accounts or not products or not book:
            return
        while not stop.wait(self.every_s):
            try:
                self._book_one(systems, accounts, products, str(book[0]["Id"]))
                self._settle(systems)
            except ConnectorError:
                continue  # the ERP's faults reach the reps too; they try again later

    def _book_one(
        self,
        systems: OrderSystems,
        accounts: list[tuple[str, str]],
        products: list[tuple[str, str]],
        book: str,
    ) -> None:
        account, customer = self.rng.choice(accounts)
        chosen = self.rng.sample(products, self.rng.randint(1, min(3, len(products))))
        lines = []
        for entry, material in chosen:
            price = self._price(systems, customer, material)
            if price is None:
                return
            lines.append((entry, Decimal(self.rng.randint(1, 4)), price))
        created = self._crm(systems, "POST", "sobjects/Order", {
            "AccountId": account, "EffectiveDate": time.strftime("%Y-%m-%d"),
            "Status": "Draft", "Pricebook2Id": book, "CurrencyIsoCode": "EUR",
        })
        order_id = str(created["id"])
        for entry, quantity, price in lines:
            self._crm(systems, "POST", "sobjects/OrderItem", {
                "OrderId": order_id, "PricebookEntryId": entry,
                "Quantity": float(quantity), "UnitPrice": float(price),
            })
        self._crm(systems, "PATCH", f"sobjects/Order/{order_id}", {"Status": "Activated"})
        self._pending[order_id] = time.monotonic()
        self.booked += 1

    def _settle(self, systems: OrderSystems) -> None:
        """Meter the orders whose ERP number has reached the CRM; count those stopped."""
        if not self._pending:
            return
        rows = self._query(
            systems, "Order", ("Id", "ERP_Sales_Order__c"), is_in("Id", list(self._pending))
        )
        now = time.monotonic()
        for row in rows:
            if row.get("ERP_Sales_Order__c"):
                self.meter.record(now - self._pending.pop(str(row["Id"])))
        stopped = {
            exception.instance_id.partition(":")[2]
            for exception in systems.queue.find(status="open")
        }
        for order_id in stopped & set(self._pending):
            del self._pending[order_id]
            self.meter.fail()

    def _price(self, systems: OrderSystems, customer: str, material: str) -> Decimal | None:
        key = (customer, material)
        if key not in self._prices:
            try:
                simulation = systems.run(lambda: systems.s4.simulate_order(
                    customer, "EUR", [QuoteLine(material, Decimal(1))]
                ))
            except ConnectorError:
                return None  # not remembered: the ERP may only have been down
            price = simulation.lines[0].unit_net_price
            self._prices[key] = None if price is None else price.quantize(Decimal("0.01"))
        return self._prices[key]

    def _linked_accounts(self) -> list[tuple[str, str]]:
        """(CRM account, ERP customer) of customers the sync has linked."""
        crm, erp = xref.alias("crm"), xref.alias("erp")
        with self.database.connect() as connection:
            rows = connection.execute(
                select(crm.c.system_id, erp.c.system_id)
                .join(erp, (erp.c.canonical_id == crm.c.canonical_id)
                      & (erp.c.entity == crm.c.entity))
                .where(crm.c.entity == "customer", crm.c.system == "salesforce",
                       erp.c.system == "s4hana")
                .limit(60)
            ).all()
        return [(str(account), str(customer)) for account, customer in rows]

    def _products(self, systems: OrderSystems) -> list[tuple[str, str]]:
        """(standard price book entry, ERP material) of products the sync has linked."""
        crm, erp = xref.alias("crm"), xref.alias("erp")
        with self.database.connect() as connection:
            linked = {
                str(product): str(material)
                for product, material in connection.execute(
                    select(crm.c.system_id, erp.c.system_id)
                    .join(erp, (erp.c.canonical_id == crm.c.canonical_id)
                          & (erp.c.entity == crm.c.entity))
                    .where(crm.c.entity == "product", crm.c.system == "salesforce",
                           erp.c.system == "s4hana")
                )
            }
        if not linked:
            return []
        entries = self._query(
            systems, "PricebookEntry", ("Id", "Product2Id", "Pricebook2.IsStandard"),
            is_in("Product2Id", list(linked)[:200]),
        )
        return [
            (str(row["Id"]), linked[str(row["Product2Id"])])
            for row in entries
            if (row.get("Pricebook2") or {}).get("IsStandard")
        ][:20]

    @staticmethod
    def _query(
        systems: OrderSystems, sobject: str, fields: tuple[str, ...], where: Any
    ) -> list[dict[str, Any]]:
        client = systems.salesforce.client
        text = Query(sobject, fields, where=where).render()

        async def read() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            async for page in client.query_pages(text):
                rows.extend(page)
            return rows

        return systems.run(read)

    @staticmethod
    def _crm(systems: OrderSystems, method: str, path: str, body: dict[str, Any]) -> Any:
        client = systems.salesforce.client

        async def call() -> Any:
            response = await client.request(method, f"{client.data_path}/{path}", json=body)
            return response.json() if response.content else None

        return systems.run(call)


async def run_desk(desk: OrderDesk, stop: asyncio.Event) -> None:
    """Run the desk in its thread until the demo's `stop` is set."""
    halt = threading.Event()
    thread = threading.Thread(target=desk.run, args=(halt,), name="order-desk", daemon=True)
    thread.start()
    try:
        await stop.wait()
    finally:
        halt.set()
        await asyncio.to_thread(thread.join, 60)

