"""Order-to-cash at volume: CRM orders through the sandboxes, with faults, to their ends.

1. **Set-up**: seeded sandboxes, master data linked the way a first sync links it (customers
   by initial match, products by SKU), credit limits raised for every customer but a few,
   which get a limit no order fits (their orders must stop on the ERP's credit block), and
   stock posted at every plant so no order waits on a backorder (the seed's stock covers
   about a thousand orders).
2. **Fault-free latency**: `--latency-orders` orders activated one by one at a steady rate;
   each one's time from activation in the CRM to its ERP order number on the CRM order
   (created in the ERP, stamped back): p50, p95, p99.
3. **Volume with faults**: `--orders` orders created and activated in the CRM in batches of
   200 (composite collections). A share is priced 20% off the ERP's price (must stop on
   `price_mismatch`), a share holds a product the ERP does not sell (`unknown_product`),
   the credit-limited customers' orders must stop on `credit_block`; all others must be paid.
   Meanwhile 5% of ERP calls fail (503 and 500), a storm of 429s comes every minute, and
   the ERP is down once for `--outage-s` seconds.
4. **Through to paid**: once every order that can has its ERP order, the ERP's business
   clock is moved on (delivery, billing, the payment terms), and the host runs until every
   instance has ended or waits in the work queue.
5. **Proof**: each order's end compared with what it must be; ERP orders counted per CRM
   order number (duplicates); the CRM's statuses, invoices and payments reconciled with the
   ERP's (`reconcile_orders`).

    PYTHONPATH=src:. python -m benchmarks.orders --orders 5000
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import resource
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from pydantic import SecretStr

from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.odata import compare
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.soql import compare as soql_compare
from causeway.connectors.salesforce.soql import is_in
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.processes.order_reconcile import reconcile_orders
from causeway.processes.order_service import host
from causeway.processes.order_systems import OrderSettings, OrderSystems
from causeway.processes.resumable import InstanceStore
from causeway.sandbox.faults import FaultInjector
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.initial_load import initial_match, link_products_by_sku
from causeway.sync.xref import Xref

T = TypeVar("T")
PROCESS = "order_to_cash"
UNLIMITED = Decimal("1000000000")
STOCK = Decimal("10000000")
COMPLETED = "completed"
STEADY_ERRORS = {503: 0.03, 500: 0.02}
STORM_ERRORS = {429: 0.5, 503: 0.03, 500: 0.02}
COLLECTION = 200
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Product:
    """A product the CRM sells: its Product2, its standard price book entry, and the ERP
    material (None for one the ERP does not sell)."""

    product_id: str
    entry_id: str
    material: str | None


@dataclass
class PlannedOrder:
    """An order to create and the end it must reach."""

    account: str
    customer: str
    lines: list[tuple[Product, Decimal, Decimal]]
    """(product, quantity, unit price)."""
    expected: str
    reference: str = ""
    """A PO number of its own, so a retried create finds it."""
    order_id: str = ""
    number: str = ""
    activated_at: float = 0.0


@dataclass
class Figures:
    """What the run measured."""

    values: dict[str, Any] = field(default_factory=dict)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Bench:
    """The sandboxes, the order-to-cash host and the calls the benchmark makes."""

    def __init__(self, running: RunningSandboxes, folder: Path, url: str | None = None) -> None:
        assert running.crm
        assert running.crm_settings
        assert running.tls
        assert running.erp
        assert running.erp_settings
        self.running = running
        self.url = url or f"sqlite:///{folder / 'causeway.sqlite'}"
        self.database = make_engine(self.url)
        upgrade(self.database)
        crm, erp = running.crm_settings, running.erp_settings
        salesforce = SalesforceSettings(
            login_url=running.crm.url,
            client_id=crm.client_id,
            client_secret=SecretStr(crm.client_secret),
            ca_bundle=running.tls.cert,
            timeout_s=60,
        )
        s4 = S4Settings(
            base_url=running.erp.url,
            username=erp.username,
            password=SecretStr(erp.password),
            sap_client=erp.sap_client,
            timeout_s=60,
        )
        settings = OrderSettings(
            customer_wait_s=60.0,
            customer_poll_s=2.0,
            milestone_fallback_s=1800.0,
            retry_wait_s=86400.0,
            settle_s=0.5,
            poll_interval_s=1.0,
        )
        self.systems = OrderSystems(self.database, salesforce, s4, settings)
        self.service, self.engine = host(self.systems, self.url)

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        return self.systems.run(call)

    def close(self) -> None:
        self.engine.shutdown()
        self.systems.close()
        self.database.dispose()

    @property
    def faults(self) -> FaultInjector:
        assert self.running.erp is not None
        injector: FaultInjector = self.running.erp.app_state.faults
        return injector

    # master data -------------------------------------------------------------------------

    def link_master_data(self) -> None:
        catalog = shipped_mappings()
        sf, s4 = self.systems.salesforce, self.systems.s4

        async def link() -> None:
            await initial_match(
                self.database,
                (sf, catalog.get("salesforce", "Account", "customer")),
                (s4, catalog.get("s4hana", "A_BusinessPartner", "customer")),
            )
            await link_products_by_sku(self.database, sf, s4, catalog)

        self.run(link)

    def linked_accounts(self) -> list[tuple[str, str]]:
        found = []
        with self.database.connect() as connection:
            xref = Xref(connection)
            for account in self.running.crm_seed_index.values():
                customer = xref.resolve("customer", "salesforce", account, "s4hana")
                if customer is not None:
                    found.append((account, customer))
        return found

    def products(self) -> list[Product]:
        rows = self.query("PricebookEntry", ("Id", "Product2Id"), None)
        found = []
        with self.database.connect() as connection:
            xref = Xref(connection)
            for row in rows:
                material = xref.resolve("product", "salesforce", row["Product2Id"], "s4hana")
                if material is not None:
                    found.append(Product(row["Product2Id"], row["Id"], material))
        return sorted(found, key=lambda product: str(product.material))

    def unsold_product(self) -> Product:
        """A product created in the CRM only: the ERP has no such material."""
        (book,) = self.query("Pricebook2", ("Id",), soql_compare("IsStandard", "=", True))
        product = self.crm("POST", "sobjects/Product2", {
            "Name": "Prototype kit (not released)", "ProductCode": "PROTO-1", "IsActive": True,
        })
        entry = self.crm("POST", "sobjects/PricebookEntry", {
            "Pricebook2Id": book["Id"], "Product2Id": product["id"], "UnitPrice": 99.0,
            "IsActive": True, "CurrencyIsoCode": "EUR",
        })
        return Product(str(product["id"]), str(entry["id"]), None)

    def credit_limit(self, customer: str, amount: Decimal) -> None:
        client = self.systems.s4.client
        path = (
            f"A_CustomerSalesArea(Customer='{customer}',SalesOrganization='1010',"
            "DistributionChannel='10',Division='00')"
        )
        self.run(lambda: client.request(
            "PATCH", "API_BUSINESS_PARTNER", path, json={"YY1_CreditLimitAmount": str(amount)}
        ))

    def stock_up(self, material: str, quantity: Decimal) -> int:
        """Post `quantity` of stock for `material` at each of its plants, as a warehouse
        receipt would, so no order waits on a backorder; answers how many plants."""
        client = self.systems.s4.client

        async def plants() -> list[dict[str, Any]]:
            params = {"$filter": compare("Product", "eq", material).text}
            rows: list[dict[str, Any]] = []
            async for page in client.pages("API_PRODUCT_SRV", "A_ProductPlant", params):
                rows.extend(page)
            return rows

        async def post(plant: str) -> None:
            path = f"A_ProductPlant(Product='{material}',Plant='{plant}')"
            await client.request("PATCH", "API_PRODUCT_SRV", path,
                                 json={"YY1_UnrestrictedStockQuantity": str(quantity)})

        found = self.run(plants)
        for plant in found:
            self.run(functools.partial(post, str(plant["Plant"])))
        return len(found)

    def price(self, customer: str, material: str) -> Decimal | None:
        async def simulate() -> Decimal | None:
            simulation = await self.systems.s4.simulate_order(
                customer, "EUR", [QuoteLine(material, Decimal(1))]
            )
            return simulation.lines[0].unit_net_price

        try:
            return self.run(simulate)
        except Exception:
            return None

    # CRM ---------------------------------------------------------------------------------

    def query(self, sobject: str, fields: tuple[str, ...], where: Any) -> list[dict[str, Any]]:
        return self.systems.query(sobject, fields, where)

    def crm(self, method: str, path: str, body: Any = None) -> Any:
        return self.systems.crm_call(method, path, body)

    def collection(self, method: str, sobject: str, records: list[dict[str, Any]]) -> list[str]:
        """Create or update up to 200 records in one composite call; raises on any failure."""
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": sobject}, **record} for record in records],
        }
        answers = self.crm(method, "composite/sobjects", body)
        failed = [answer for answer in answers if not answer.get("success")]
        if failed:
            raise RuntimeError(f"{sobject}: {len(failed)} failed, first {failed[0]}")
        return [str(answer["id"]) for answer in answers]

    def create_orders(
        self, orders: Sequence[PlannedOrder], book: str, per_second: float | None = None
    ) -> None:
        """Draft orders, their products, then activation, in chunks (paced at `per_second`
        orders a second when given), each chunk retried safely: a rep's tool that times out
        looks up what it created (by PO number) before it creates the rest."""
        size = COLLECTION if per_second is None else max(1, min(COLLECTION, int(per_second * 5)))
        began = time.monotonic()
        for start in range(0, len(orders), size):
            if per_second is not None:
                time.sleep(max(0.0, began + start / per_second - time.monotonic()))
            chunk = orders[start : start + size]
            self._patiently(lambda chunk=chunk: self._create_drafts(chunk, book))
            items = [
                {"OrderId": order.order_id, "PricebookEntryId": product.entry_id,
                 "Quantity": float(quantity), "UnitPrice": float(price)}
                for order in chunk
                for product, quantity, price in order.lines
                if not order.activated_at
            ]
            self._patiently(lambda items=items: self._create_items(items))
            activated = time.monotonic()
            self._patiently(lambda chunk=chunk: self.collection("PATCH", "Order", [
                {"Id": order.order_id, "Status": "Activated"} for order in chunk
            ]))
            for order in chunk:
                order.activated_at = activated

    def _patiently(self, attempt: Callable[[], object], tries: int = 8) -> None:
        for left in range(tries - 1, -1, -1):
            try:
                attempt()
                return
            except (ConnectorError, RuntimeError):
                if not left:
                    raise
                time.sleep(2.0)

    def _create_drafts(self, chunk: Sequence[PlannedOrder], book: str) -> None:
        missing = [order for order in chunk if not order.order_id]
        if not missing:
            return
        found = {
            str(row["PoNumber"]): str(row["Id"])
            for row in self.query(
                "Order", ("Id", "PoNumber"), is_in("PoNumber", [o.reference for o in missing])
            )
        }
        for order in missing:
            order.order_id = found.get(order.reference, "")
        todo = [order for order in missing if not order.order_id]
        if todo:
            ids = self.collection("POST", "Order", [
                {"AccountId": order.account, "EffectiveDate": "2026-12-01", "Status": "Draft",
                 "Pricebook2Id": book, "CurrencyIsoCode": "EUR", "PoNumber": order.reference}
                for order in todo
            ])
            for order, order_id in zip(todo, ids, strict=True):
                order.order_id = order_id

    def _create_items(self, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        orders = sorted({str(item["OrderId"]) for item in items})
        have = {
            str(row["OrderId"])
            for row in self.query("OrderItem", ("OrderId",), is_in("OrderId", orders))
        }
        todo = [item for item in items if str(item["OrderId"]) not in have]
        for first in range(0, len(todo), COLLECTION):
            self.collection("POST", "OrderItem", todo[first : first + COLLECTION])

    def erp_numbers(self, orders: Sequence[PlannedOrder]) -> dict[str, str]:
        """CRM order id -> ERP sales order, for those stamped already."""
        found: dict[str, str] = {}
        ids = [order.order_id for order in orders]
        for start in range(0, len(ids), 500):
            rows = self.query(
                "Order", ("Id", "OrderNumber", "ERP_Sales_Order__c"),
                is_in("Id", ids[start : start + 500]),
            )
            for row in rows:
                if row.get("ERP_Sales_Order__c"):
                    found[str(row["Id"])] = str(row["ERP_Sales_Order__c"])
        return found

    def order_numbers(self, orders: Sequence[PlannedOrder]) -> None:
        ids = [order.order_id for order in orders]
        numbers: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            for row in self.query(
                "Order", ("Id", "OrderNumber"), is_in("Id", ids[start : start + 500])
            ):
                numbers[str(row["Id"])] = str(row["OrderNumber"])
        for order in orders:
            order.number = numbers[order.order_id]

    # ERP ---------------------------------------------------------------------------------

    def erp_references(self) -> Counter[str]:
        """How many ERP orders carry each reference (the CRM order number)."""
        client = self.systems.s4.client
        params = {"$select": "SalesOrder,PurchaseOrderByCustomer"}

        async def read() -> Counter[str]:
            counted: Counter[str] = Counter()
            async for page in client.pages("API_SALES_ORDER_SRV", "A_SalesOrder", params):
                for row in page:
                    counted[str(row.get("PurchaseOrderByCustomer") or "")] += 1
            return counted

        return self.run(read)

    def erp_order_count(self, reference: str) -> int:
        client = self.systems.s4.client
        params = {"$filter": compare("PurchaseOrderByCustomer", "eq", reference).text}

        async def read() -> int:
            rows = 0
            async for page in client.pages("API_SALES_ORDER_SRV", "A_SalesOrder", params):
                rows += len(page)
            return rows

        return self.run(read)

    def advance_erp(self, minutes: float) -> None:
        assert self.running.erp is not None
        self.running.erp.app_state.erp.advance(minutes)

    # ends --------------------------------------------------------------------------------

    def where(self, order: PlannedOrder) -> str:
        """Where an unfinished order's instance stands, and the ERP statuses it last saw."""
        row = InstanceStore(self.database).get(f"{PROCESS}:{order.order_id}")
        if row is None or row.status == "ended":
            return ""
        state = row.state or {}
        seen = state.get("order") or {}
        statuses = "/".join(
            str(seen.get(name))
            for name in ("TotalCreditCheckStatus", "OverallTotalDeliveryStatus",
                         "OverallSDProcessStatus")
        )
        return (
            f" (instance {row.status}, phase {state.get('phase')}, status {state.get('status')},"
            f" ERP order {state.get('sales_order')} credit/delivery/overall {statuses})"
        )

    def end_of(self, order: PlannedOrder) -> str | None:
        """completed, the reason it waits on, or None while it is still under way."""
        instance = f"{PROCESS}:{order.order_id}"
        waiting = self.systems.queue.find(status="open", instance_id=instance)
        if waiting:
            return str(waiting[0].reason)
        status = self.engine.status(PROCESS, order.order_id)
        if status is not None and status.status == "SUCCESS":
            result = status.result if isinstance(status.result, dict) else {}
            return str(result.get("outcome", "SUCCESS"))
        if status is not None and status.status in ("ERROR", "CANCELLED"):
            return status.status.lower()
        return None


def plan_orders(
    count: int,
    accounts: list[tuple[str, str]],
    limited: set[str],
    products: list[Product],
    unsold: Product,
    prices: dict[tuple[str, str], Decimal],
    mismatch_share: float,
    unknown_share: float,
    rng: random.Random,
) -> list[PlannedOrder]:
    """Orders over the accounts, each with the end it must reach."""
    planned = []
    for _ in range(count):
        account, customer = rng.choice(accounts)
        chosen = rng.sample(products, rng.randint(1, min(3, len(products))))
        lines = [
            (product, Decimal(rng.randint(1, 5)), prices[(customer, str(product.material))])
            for product in chosen
        ]
        draw = rng.random()
        expected = COMPLETED
        if draw < unknown_share:
            lines.append((unsold, Decimal(1), Decimal("99.00")))
            expected = "unknown_product"
        elif draw < unknown_share + mismatch_share:
            product, quantity, price = lines[0]
            lines[0] = (product, quantity, (price * Decimal("0.8")).quantize(Decimal("0.01")))
            expected = "price_mismatch"
        elif customer in limited:
            expected = "credit_block"
        planned.append(
            PlannedOrder(account, customer, lines, expected, f"BENCH-{rng.getrandbits(48):012x}")
        )
    return planned


def wait_until(check: Callable[[], bool], timeout_s: float, every_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every_s)
    return check()


class FaultSchedule(threading.Thread):
    """5% ERP errors throughout, a 429 storm every `storm_every_s`, one outage."""

    def __init__(self, faults: FaultInjector, outage_at_s: float, outage_s: float,
                 storm_every_s: float, storm_s: float) -> None:
        super().__init__(daemon=True)
        self.faults = faults
        self.outage_at_s, self.outage_s = outage_at_s, outage_s
        self.storm_every_s, self.storm_s = storm_every_s, storm_s
        self.stop = threading.Event()
        self.storms = 0
        self.outages = 0

    def run(self) -> None:
        started = time.monotonic()
        self.faults.patch({"error_rates": STEADY_ERRORS})
        next_storm = started + self.storm_every_s
        while not self.stop.wait(0.5):
            now = time.monotonic()
            if not self.outages and now - started >= self.outage_at_s:
                self.faults.start_outage(self.outage_s)
                self.outages = 1
            if now >= next_storm:
                self.faults.patch({"error_rates": STORM_ERRORS})
                self.storms += 1
                if self.stop.wait(self.storm_s):
                    break
                self.faults.patch({"error_rates": STEADY_ERRORS})
                next_storm = time.monotonic() + self.storm_every_s
        self.faults.patch({"error_rates": {}})


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="causeway-orders-"))
    universe = generate(SeedConfig(accounts=args.accounts, products=args.products))
    running = start_both(universe, folder)
    url = None
    if args.postgres:
        url = f"postgresql://postgres@127.0.0.1:5432/causeway_orders_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    bench = Bench(running, folder, url)
    figures: dict[str, Any] = {
        "orders": args.orders, "latency_orders": args.latency_orders,
        "database": "postgresql" if args.postgres else "sqlite",
    }
    stop = threading.Event()
    hosting = threading.Thread(target=bench.service.run, args=(stop,), daemon=True)
    try:
        time.sleep(1.5)
        bench.link_master_data()
        accounts = bench.linked_accounts()
        products = [p for p in bench.products() if p.material][: args.products]
        prices: dict[tuple[str, str], Decimal] = {}
        usable = []
        for account, customer in accounts:
            found = {str(p.material): bench.price(customer, str(p.material)) for p in products}
            if all(price is not None for price in found.values()):
                prices.update({(customer, m): p for m, p in found.items() if p is not None})
                usable.append((account, customer))
        limited = {customer for _, customer in usable[: max(1, round(len(usable) * 0.04))]}
        for _, customer in usable:
            bench.credit_limit(customer, Decimal(1) if customer in limited else UNLIMITED)
        # Enough stock for every order: a backorder would leave orders open for good.
        plants = sum(bench.stock_up(str(p.material), STOCK) for p in products)
        unsold = bench.unsold_product()
        (book,) = bench.query("Pricebook2", ("Id",), soql_compare("IsStandard", "=", True))
        figures["set_up"] = {
            "customers": len(usable), "credit_limited": len(limited), "products": len(products),
            "plants_stocked": plants,
        }
        hosting.start()

        # Fault-free latency: one order at a time at a steady pace.
        calm = [
            order for order in plan_orders(
                args.latency_orders, [a for a in usable if a[1] not in limited], set(),
                products, unsold, prices, 0.0, 0.0, rng,
            )
        ]
        latencies: dict[str, float] = {}
        began = time.monotonic()
        for index, order in enumerate(calm):
            time.sleep(max(0.0, began + index / args.latency_rate - time.monotonic()))
            bench.create_orders([order], str(book["Id"]))
            if index % 5 == 4:
                for order_id in bench.erp_numbers(calm[: index + 1]):
                    latencies.setdefault(order_id, time.monotonic())

        def calm_stamped() -> bool:
            for order_id in bench.erp_numbers(calm):
                latencies.setdefault(order_id, time.monotonic())
            return len(latencies) == len(calm)

        wait_until(calm_stamped, 600, every_s=0.5)
        seen = [latencies[o.order_id] - o.activated_at for o in calm if o.order_id in latencies]
        figures["fault_free_crm_order_to_erp_order_s"] = {
            "orders": len(calm), "measured": len(seen),
            "p50": round(percentile(seen, 0.50), 2) if seen else None,
            "p95": round(percentile(seen, 0.95), 2) if seen else None,
            "p99": round(percentile(seen, 0.99), 2) if seen else None,
            "mean": round(statistics.fmean(seen), 2) if seen else None,
            "note": "activation in the CRM to the ERP number on the CRM order, polled every 0.5 s",
        }

        # Volume with faults.
        planned = plan_orders(
            args.orders, usable, limited, products, unsold, prices,
            args.mismatch_share, args.unknown_share, rng,
        )
        schedule = FaultSchedule(bench.faults, args.outage_at_s, args.outage_s,
                                 args.storm_every_s, args.storm_s)
        schedule.start()
        started = time.monotonic()
        bench.create_orders(planned, str(book["Id"]), args.rate)
        figures["created_in_s"] = round(time.monotonic() - started, 1)
        bench.order_numbers(planned + calm)
        everything = calm + planned
        creatable = [o for o in everything if o.expected in (COMPLETED, "credit_block")]

        def all_in_erp() -> bool:
            return len(bench.erp_numbers(creatable)) == len(creatable)

        figures["all_erp_orders_created"] = wait_until(all_in_erp, args.timeout_s, every_s=5)
        figures["erp_orders_in_s"] = round(time.monotonic() - started, 1)
        for minutes in (5 * 60.0, 3 * 60.0, 95 * 24 * 60.0):
            bench.advance_erp(minutes)
            time.sleep(5)

        def ended() -> bool:
            return all(bench.end_of(order) is not None for order in everything)

        figures["all_ended"] = wait_until(ended, args.timeout_s, every_s=10)
        figures["ended_in_s"] = round(time.monotonic() - started, 1)
        schedule.stop.set()
        schedule.join(30)
        figures["faults"] = {
            "error_rate": sum(STEADY_ERRORS.values()), "storms_429": schedule.storms,
            "outages": schedule.outages, "outage_s": args.outage_s,
            "injected": bench.faults.plan.model_dump().get("error_rates"),
        }

        ends = Counter()
        wrong: list[str] = []
        for order in everything:
            end = bench.end_of(order)
            ends[(order.expected, end)] += 1
            if end != order.expected and len(wrong) < 20:
                wrong.append(
                    f"{order.number}: expected {order.expected}, got {end}{bench.where(order)}"
                )
        figures["ends"] = {f"{expected} -> {end}": n for (expected, end), n in ends.items()}
        figures["wrong_ends"] = sum(
            n for (expected, end), n in ends.items() if expected != end
        )
        figures["wrong_examples"] = wrong
        references = bench.erp_references()
        numbers = {order.number for order in everything}
        figures["erp_orders"] = sum(references[number] for number in numbers)
        figures["duplicate_erp_orders"] = sum(
            references[number] - 1 for number in numbers if references[number] > 1
        )
        completed = [o.order_id for o in everything if bench.end_of(o) == COMPLETED]
        report = reconcile_orders(bench.systems, completed)
        figures["reconciliation"] = {
            "orders": report.orders, "invoices": report.invoices, "payments": report.payments,
            "differences": len(report.differences), "examples": report.differences[:10],
        }
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return figures
    finally:
        stop.set()
        if hosting.is_alive():
            hosting.join(30)
        bench.close()
        running.stop()


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.orders [--orders N ...]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--latency-orders", type=int, default=100)
    parser.add_argument("--latency-rate", type=float, default=2.0, help="orders/s, fault-free")
    parser.add_argument("--rate", type=float, default=8.0, help="orders/s created, with faults")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--mismatch-share", type=float, default=0.02)
    parser.add_argument("--unknown-share", type=float, default=0.01)
    parser.add_argument("--outage-at-s", type=float, default=120.0)
    parser.add_argument("--outage-s", type=float, default=60.0)
    parser.add_argument("--storm-every-s", type=float, default=60.0)
    parser.add_argument("--storm-s", type=float, default=10.0)
    parser.add_argument("--timeout-s", type=float, default=7200.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--postgres", action="store_true",
        help="Causeway's database and the process engine on PostgreSQL (127.0.0.1:5432)",
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    print(json.dumps(measure(args), indent=2, default=str))


if __name__ == "__main__":
    main()
