"""Both sandboxes, a database, linked master data and the order-to-cash host, for tests.

Customers are linked by the sync's initial match and products by SKU, as a deployment does
before its first order; orders are created in the CRM the way a sales rep does (draft, order
products, activate), and the ERP's business clock is advanced through its admin API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from dbos import DBOS
from sqlalchemy import Engine

from causeway.connectors.s4hana.odata import compare
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.connectors.salesforce.soql import compare as soql_compare
from causeway.mapping.loader import MappingCatalog, shipped_mappings
from causeway.processes.engine import ProcessEngine
from causeway.processes.order_service import OrderService, host
from causeway.processes.order_systems import OrderSettings, OrderSystems, install
from causeway.processes.order_to_cash import TOPIC
from causeway.processes.work_queue import ProcessException
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.initial_load import initial_match, link_products_by_sku
from causeway.sync.xref import Xref
from tests.support.sandboxes import Sandboxes

HOUR = 60.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class Product:
    """A product both systems know, linked."""

    product_id: str
    entry_id: str
    material: str


class OrderWorld:
    """The order-to-cash host against the sandboxes, with what tests need to drive it."""

    def __init__(self, sandbox: Sandboxes, database: Engine, url: str,
                 settings: OrderSettings, hosted: bool = True) -> None:
        self.sandbox = sandbox
        self.database = database
        self.url = url
        self.systems = OrderSystems(
            database, sandbox.salesforce_settings(), sandbox.s4_settings(), settings
        )
        self.service: OrderService
        self.engine: ProcessEngine
        self.hosted = hosted
        if hosted:
            self.service, self.engine = host(self.systems, url)

    def close(self) -> None:
        if not self.hosted:
            self.systems.close()
            return
        # Instances still waiting (for a retry, or for milestones) are cancelled and woken,
        # so no thread of theirs keeps polling a database the test is about to delete (a
        # wait only ends at its deadline or with a message).
        waiting = [found.workflow_id for found in DBOS.list_workflows(status="PENDING")]
        for instance in waiting:
            DBOS.cancel_workflow(instance)
            DBOS.send(instance, {"kind": "end of test"}, TOPIC)
        if waiting:
            time.sleep(1.0)  # a few of the engine's signal polls (0.2 s)
        self.engine.shutdown()
        install(None)
        self.systems.close()

    # Master data ------------------------------------------------------------------------

    def link_master_data(self) -> None:
        """Link customers (initial match) and products (by SKU) like a first sync does."""
        catalog = MappingCatalog(shipped_mappings())
        sf, s4 = self.systems.salesforce, self.systems.s4

        async def link() -> None:
            await initial_match(
                self.database,
                (sf, catalog.get("salesforce", "Account", "customer")),
                (s4, catalog.get("s4hana", "A_BusinessPartner", "customer")),
            )
            await link_products_by_sku(self.database, sf, s4, catalog)

        self.systems.run(link)

    def linked_accounts(self) -> list[tuple[str, str]]:
        """(Account id, ERP customer) of every linked customer, in seed order."""
        found = []
        with self.database.connect() as connection:
            xref = Xref(connection)
            for key in self.sandbox.running.crm_seed_index:
                account = self.sandbox.running.crm_seed_index[key]
                customer = xref.resolve("customer", "salesforce", account, "s4hana")
                if customer is not None:
                    found.append((account, customer))
        return found

    def products(self) -> list[Product]:
        """The linked products with their standard price book entries."""
        rows = self.query(
            "PricebookEntry", ("Id", "Product2Id", "Product2.ProductCode"), None
        )
        found = []
        with self.database.connect() as connection:
            xref = Xref(connection)
            for row in rows:
                material = xref.resolve("product", "salesforce", row["Product2Id"], "s4hana")
                if material is not None:
                    found.append(Product(row["Product2Id"], row["Id"], material))
        return sorted(found, key=lambda product: product.material)

    # CRM --------------------------------------------------------------------------------

    def query(self, sobject: str, fields: tuple[str, ...], where: Any) -> list[dict[str, Any]]:
        return self.systems.query(sobject, fields, where)

    def crm(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.systems.crm_call(method, path, body)

    def order(self, order_id: str) -> dict[str, Any]:
        fields = ("Id", "OrderNumber", "Status", "ERP_Sales_Order__c", "ERP_Status__c")
        (row,) = self.query("Order", fields, soql_compare("Id", "=", order_id))
        return row

    def price(self, customer: str, currency: str, material: str, quantity: Decimal) -> Decimal:
        """The ERP's unit net price, as a rep's quote tool shows it."""
        simulation = self.systems.run(lambda: self.systems.s4.simulate_order(
            customer, currency, [QuoteLine(material, quantity)]
        ))
        price = simulation.lines[0].unit_net_price
        assert price is not None
        return price

    def create_order(
        self,
        account_id: str,
        customer: str,
        lines: list[tuple[Product, Decimal]],
        *,
        currency: str = "EUR",
        price_factor: Decimal = Decimal(1),
        activate: bool = True,
    ) -> str:
        """A draft order with products priced as the ERP prices them (times `price_factor`),
        then activated."""
        (pricebook,) = self.query(
            "Pricebook2", ("Id",), soql_compare("IsStandard", "=", True)
        )
        created = self.crm("POST", "sobjects/Order", {
            "AccountId": account_id, "EffectiveDate": "2026-12-01", "Status": "Draft",
            "Pricebook2Id": pricebook["Id"], "CurrencyIsoCode": currency,
        })
        order_id = str(created["id"])
        for product, quantity in lines:
            price = self.price(customer, currency, product.material, quantity) * price_factor
            self.crm("POST", "sobjects/OrderItem", {
                "OrderId": order_id, "PricebookEntryId": product.entry_id,
                "Quantity": float(quantity), "UnitPrice": float(round(price, 2)),
            })
        if activate:
            self.crm("PATCH", f"sobjects/Order/{order_id}", {"Status": "Activated"})
        return order_id

    # ERP --------------------------------------------------------------------------------

    def erp_orders(self, reference: str) -> list[dict[str, Any]]:
        """Every ERP order carrying `reference` (the CRM order number)."""
        client = self.systems.s4.client
        params = {"$filter": compare("PurchaseOrderByCustomer", "eq", reference).text}

        async def read() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            async for page in client.pages("API_SALES_ORDER_SRV", "A_SalesOrder", params):
                rows.extend(page)
            return rows

        return self.systems.run(read)

    def set_credit_limit(self, customer: str, amount: Decimal) -> None:
        """Change the customer's credit limit in the ERP, as a credit manager does."""
        client = self.systems.s4.client
        path = (
            f"A_CustomerSalesArea(Customer='{customer}',SalesOrganization='1010',"
            "DistributionChannel='10',Division='00')"
        )
        self.systems.run(lambda: client.request(
            "PATCH", "API_BUSINESS_PARTNER", path, json={"YY1_CreditLimitAmount": str(amount)}
        ))

    def advance_erp(self, minutes: float) -> None:
        """Move the ERP's business clock on; deliveries, invoices and payments fall due."""
        self.sandbox.admin_post("erp", "clock/advance", {"minutes": minutes})

    # Driving ----------------------------------------------------------------------------

    def pump(self, until: Callable[[], bool], timeout_s: float = 60.0) -> None:
        """Run the pollers until `until()` holds."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.service.run_once()
            if until():
                return
            if time.monotonic() > deadline:
                parked = [(e.reason, e.status, e.message) for e in self.systems.queue.find()]
                resting = self.engine.resting()
                raise AssertionError(
                    f"not reached within {timeout_s} s; work queue: {parked}; "
                    f"instances: {resting}"
                )
            time.sleep(0.2)

    def outcome(self, order_id: str) -> str | None:
        status = self.engine.status("order_to_cash", order_id)
        return None if status is None else status.status

    def open_exceptions(self, order_id: str) -> list[ProcessException]:
        return self.systems.queue.find(status="open", instance_id=f"order_to_cash:{order_id}")


FAST = OrderSettings(
    customer_wait_s=1.0, customer_poll_s=0.25, milestone_fallback_s=3600.0,
    retry_wait_s=3600.0, settle_s=0.0, poll_interval_s=0.2,
)


@contextmanager
def order_world(
    sandbox: Sandboxes,
    folder: Path,
    settings: OrderSettings = FAST,
    *,
    url: str | None = None,
    hosted: bool = True,
) -> Iterator[OrderWorld]:
    """A fresh database with master data linked, and the host running on it (unless another
    OS process hosts it)."""
    folder.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{folder / 'causeway.sqlite'}"
    database = make_engine(url)
    upgrade(database)
    world = OrderWorld(sandbox, database, url, settings, hosted)
    try:
        world.link_master_data()
        yield world
    finally:
        world.close()
        database.dispose()
