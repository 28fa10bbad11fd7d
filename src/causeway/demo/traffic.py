"""Demo traffic: CRM users editing accounts, sales reps quoting, and an ERP that misbehaves.

Everything here is what people and systems outside Causeway do: the edits go to the CRM
under the users' own client name, quotes go through Causeway's public API with a token, and
the ERP's faults are switched by its own admin hook. Causeway only sees the results.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import httpx
from pydantic import SecretStr

from causeway.connectors.contract import Connector, WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.simulation import QuoteLine
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.console.live import Meter
from causeway.sandbox.faults import FaultInjector
from causeway.sandbox.launch import RunningSandboxes

QUOTE_PATH = "/v1/quotes/price-availability"
STEADY_ERRORS = {503: 0.03, 500: 0.02}
"""Five per cent of ERP calls fail, as a loaded gateway's do."""
STORM_ERRORS = {429: 0.6, 503: 0.03, 500: 0.02}


def crm_user(running: RunningSandboxes) -> SalesforceConnector:
    """The CRM as its users reach it: their own client name, not Causeway's."""
    if not (running.crm and running.crm_settings and running.tls):
        raise RuntimeError("the CRM sandbox is not running")
    crm = running.crm_settings
    return SalesforceConnector(
        SalesforceSettings(
            login_url=running.crm.url,
            client_id=crm.client_id,
            client_secret=SecretStr(crm.client_secret),
            ca_bundle=running.tls.cert,
            client_name="sales-rep",
            timeout_s=10,
        ),
        settle=timedelta(0),
    )


def erp_reader(running: RunningSandboxes) -> S4Connector:
    """A plain ERP connection for looking up what the demo can quote."""
    if not (running.erp and running.erp_settings):
        raise RuntimeError("the ERP sandbox is not running")
    erp = running.erp_settings
    return S4Connector(
        S4Settings(
            base_url=running.erp.url,
            username=erp.username,
            password=SecretStr(erp.password),
            sap_client=erp.sap_client,
            timeout_s=10,
        ),
        settle=timedelta(0),
    )


async def record_ids(connector: Connector, object_name: str, limit: int) -> list[str]:
    """Up to `limit` record ids, read from the start of the change feed."""
    page = await connector.changes(object_name, None, limit)
    return [record.id for record in page.records if not record.deleted][:limit]


@dataclass
class QuoteBook:
    """Customers the ERP will price for and materials it sells."""

    customers: list[str]
    materials: list[str]

    @classmethod
    async def read(cls, running: RunningSandboxes, most: int = 12) -> QuoteBook:
        """Probe the ERP: some seeded customers are blocked or lack a sales area."""
        erp = erp_reader(running)
        try:
            materials = (await record_ids(erp, "A_Product", 200))[:40]
            customers: list[str] = []
            for number in await record_ids(erp, "A_BusinessPartner", 200):
                if len(customers) >= most or not materials:
                    break
                try:
                    await erp.simulate_order(number, "EUR", [QuoteLine(materials[0], Decimal(1))])
                except ConnectorError:
                    continue
                customers.append(number)
            return cls(customers, materials)
        finally:
            await erp.aclose()


@dataclass
class Traffic:
    """The demo's outside world, running until `stop` is set."""

    running: RunningSandboxes
    api_url: str
    client_id: str
    client_secret: str
    quotes: Meter
    edits_per_second: float = 2.0
    reps: int = 10
    think_s: float = 2.0
    storm_every_s: float = 90.0
    storm_seconds: float = 12.0
    edits: int = 0
    degraded: int = 0
    storms: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    async def run(self, stop: asyncio.Event) -> None:
        """Edit, quote and misbehave until stopped."""
        book = await QuoteBook.read(self.running)
        tasks = [
            asyncio.create_task(self._edit(stop)),
            asyncio.create_task(self._faults(stop)),
        ]
        if book.customers and book.materials:
            tasks.append(asyncio.create_task(self._quote(stop, book)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._injector().patch({"error_rates": {}})

    def _injector(self) -> FaultInjector:
        assert self.running.erp is not None
        injector: FaultInjector = self.running.erp.app_state.faults
        return injector

    async def _edit(self, stop: asyncio.Event) -> None:
        """CRM users renaming accounts at a steady pace."""
        user = crm_user(self.running)
        try:
            accounts = await record_ids(user, "Account", 500)
            while not stop.is_set() and accounts:
                account = self.rng.choice(accounts)
                name = f"{self.rng.choice(('Acme', 'Globex', 'Initech', 'Umbrella'))} "
                name += f"{uuid.uuid4().hex[:6].upper()} Ltd"
                request = WriteRequest(
                    "Account",
                    WriteOperation.UPDATE,
                    WriteKey(system_id=account),
                    {"Name": name},
                    f"demo-edit-{uuid.uuid4()}",
                )
                [result] = await user.write([request])
                if result.ok:
                    self.edits += 1
                await asyncio.sleep(1 / self.edits_per_second)
        finally:
            await user.aclose()

    async def _quote(self, stop: asyncio.Event, book: QuoteBook) -> None:
        """Sales reps asking for price and availability through Causeway's API."""
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as http:
            token = (
                await http.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                    },
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            popular = [self._basket(book) for _ in range(20)]

            async def rep() -> None:
                while not stop.is_set():
                    basket = (
                        self.rng.choice(popular) if self.rng.random() < 0.7 else self._basket(book)
                    )
                    began = time.perf_counter()
                    try:
                        response = await http.post(QUOTE_PATH, json=basket, headers=headers)
                    except httpx.HTTPError:
                        self.quotes.fail()
                    else:
                        if response.status_code == 200:
                            self.quotes.record(time.perf_counter() - began)
                            if response.json().get("degraded"):
                                self.degraded += 1
                        elif response.status_code >= 500:
                            self.quotes.fail()
                    await asyncio.sleep(self.think_s * self.rng.uniform(0.5, 1.5))

            await asyncio.gather(*(rep() for _ in range(self.reps)))

    def _basket(self, book: QuoteBook) -> dict[str, object]:
        count = self.rng.randint(1, min(4, len(book.materials)))
        lines = [
            {"material": material, "quantity": str(self.rng.randint(1, 12))}
            for material in self.rng.sample(book.materials, count)
        ]
        return {"customer": self.rng.choice(book.customers), "currency": "EUR", "lines": lines}

    async def _faults(self, stop: asyncio.Event) -> None:
        """Five per cent of ERP calls fail; every so often a storm of 429s."""
        injector = self._injector()
        injector.patch({"error_rates": STEADY_ERRORS})
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.storm_every_s)
                return
            except TimeoutError:
                pass
            injector.patch({"error_rates": STORM_ERRORS})
            self.storms += 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.storm_seconds)
                return
            except TimeoutError:
                pass
            finally:
                injector.patch({"error_rates": STEADY_ERRORS})
