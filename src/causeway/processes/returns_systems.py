"""What return steps talk to: the CRM, the ERP, the cross-reference store and the timeline.

Process arguments are checkpointed, so connections cannot travel in them: the host installs
one `ReturnSystems` per OS process before it launches the engine, and steps find it here.
The clients are asynchronous and keep sessions (OAuth token, CSRF token), so they live on
one event loop in a background thread and the synchronous steps hand their calls to it.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.customer_returns import CustomerReturns
from causeway.connectors.salesforce.client import SalesforceClient, SalesforceSettings
from causeway.observe.activity import ActivityLog
from causeway.processes.connector_loop import ConnectorLoop, Installed
from causeway.processes.returns_cases import ReturnCases
from causeway.sync.xref import Xref

T = TypeVar("T")


class ReturnSettings(BaseModel):
    """How returns behave; the defaults suit production, tests shorten the waits."""

    crm_system: str = Field("salesforce", description="the CRM's name in the xref store")
    erp_system: str = Field("s4hana", description="the ERP's name in the xref store")
    recheck_s: float = Field(
        86400.0, gt=0, description="a return waiting for a fix checks its Case again after this"
    )
    follow_s: float = Field(
        3600.0, gt=0, description="with no ERP change seen for this long, read the return anyway"
    )
    close_case: bool = Field(True, description="close the Case once the credit memo exists")
    poll_interval_s: float = Field(5.0, gt=0, description="between rounds of the pollers")
    settle_s: float = Field(2.0, ge=0, description="the CRM poller leaves changes this recent")
    batch: int = Field(200, ge=1, le=2000, description="Cases read per poll")


class ReturnSystems(ConnectorLoop):
    """The CRM and ERP clients, the database and the settings return steps use."""

    def __init__(
        self,
        database: Engine,
        salesforce: SalesforceSettings,
        s4: S4Settings,
        settings: ReturnSettings | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or ReturnSettings()
        self.activity = ActivityLog(database)
        super().__init__("return-systems")

        async def connect() -> tuple[SalesforceClient, S4Client]:
            return SalesforceClient(salesforce), S4Client(s4)

        self.salesforce, self.s4 = self.run(connect)
        self.cases = ReturnCases(self.salesforce)
        self.erp = CustomerReturns(self.s4)

    def erp_id(self, entity: str, crm_id: str | None) -> str | None:
        """The ERP number linked to a CRM record in the cross-reference store."""
        if not crm_id:
            return None
        with self.database.connect() as connection:
            return Xref(connection).resolve(
                entity, self.settings.crm_system, crm_id, self.settings.erp_system
            )

    def close(self) -> None:
        """Close the clients and stop their loop."""
        self.close_on_loop(self.salesforce, self.s4)


_systems: Installed[ReturnSystems] = Installed(
    "returns need ReturnSystems installed before the engine runs"
)
install = _systems.install
current = _systems.current
