"""What order-to-cash steps talk to: the CRM, the ERP and Causeway's database.

Process arguments are checkpointed, so connections cannot travel in them; the host installs
one `OrderSystems` per OS process before it launches the engine, and steps find it here.
Connectors are asynchronous and keep sessions (OAuth token, CSRF token): they live on one
event loop in a background thread, and the synchronous steps hand their calls to it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.sales_orders import SalesOrders
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.connectors.salesforce.soql import Condition, Query
from causeway.processes.connector_loop import ConnectorLoop, Installed
from causeway.processes.crm_orders import CrmOrders
from causeway.processes.work_queue import WorkQueue

T = TypeVar("T")


class OrderSettings(BaseModel):
    """How order-to-cash behaves; the defaults suit production, tests shorten the waits."""

    from_opportunities: bool = Field(
        False, description="also start from Opportunities reaching Closed Won"
    )
    customer_wait_s: float = Field(
        900.0, gt=0, description="how long to wait for the master-data sync to link a customer"
    )
    customer_poll_s: float = Field(30.0, gt=0, description="how often to look for that link")
    price_tolerance_percent: Decimal = Field(
        Decimal("0.5"), ge=0, description="CRM and ERP unit prices may differ by this much"
    )
    milestone_fallback_s: float = Field(
        6 * 3600.0, gt=0,
        description="with no ERP event for this long, the instance reads its order once itself",
    )
    transient_patience_s: float = Field(
        3600.0, ge=0,
        description="a system down or throttling is waited out this long before an operator "
        "is asked (system_failure)",
    )
    retry_wait_s: float = Field(
        7 * 86400.0, gt=0, description="an exception waits this long per round for a retry"
    )
    settle_s: float = Field(2.0, ge=0, description="pollers leave changes this recent alone")
    poll_interval_s: float = Field(5.0, gt=0, description="between rounds of the pollers")


class OrderSystems(ConnectorLoop):
    """The CRM and ERP connectors, the work queue and settings the steps use."""

    def __init__(
        self,
        database: Engine,
        salesforce: SalesforceSettings,
        s4: S4Settings,
        settings: OrderSettings | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or OrderSettings()
        self.queue = WorkQueue(database)
        super().__init__("order-systems")
        settle = timedelta(seconds=self.settings.settle_s)

        async def connect() -> tuple[SalesforceConnector, S4Connector]:
            return SalesforceConnector(salesforce, settle=settle), S4Connector(s4, settle=settle)

        self.salesforce, self.s4 = self.run(connect)
        self.crm = CrmOrders(self.salesforce)
        self.erp = SalesOrders(self.s4.client)

    def query(
        self, sobject: str, fields: tuple[str, ...], where: Condition | None = None
    ) -> list[dict[str, Any]]:
        """Every row of a SOQL query built from parts (values are escaped, never pasted)."""
        client = self.salesforce.client
        text = Query(sobject, fields, where=where).render()

        async def read() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            async for page in client.query_pages(text):
                rows.extend(page)
            return rows

        return self.run(read)

    def crm_call(self, method: str, path: str, body: Any = None) -> Any:
        """One CRM REST call under the data path (`sobjects/Order`), answering its JSON."""
        client = self.salesforce.client

        async def call() -> Any:
            response = await client.request(method, f"{client.data_path}/{path}", json=body)
            return response.json() if response.content else None

        return self.run(call)

    def close(self) -> None:
        """Close the connectors and stop their loop."""
        self.close_on_loop(self.salesforce, self.s4)


_systems: Installed[OrderSystems] = Installed(
    "order-to-cash needs OrderSystems installed before the engine runs"
)
install = _systems.install
current = _systems.current
