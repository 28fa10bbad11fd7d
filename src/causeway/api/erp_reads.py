"""The S/4HANA connector as the process APIs read it: the order simulation and customer reads.

One object serves price and availability, quote validation and account 360, so they share
the connector's connection pool, CSRF token and pacing; it reads only.
"""

from __future__ import annotations

from collections.abc import Sequence

from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.customer_account import (
    CustomerAccounts,
    ErpCustomer,
    InvoiceSummary,
    SalesOrderSummary,
    Scan,
)
from causeway.connectors.s4hana.simulation import QuoteLine, SalesArea, Simulation


class ErpReads:
    """Simulates orders and reads customers, orders and invoices through one connector."""

    def __init__(self, connector: S4Connector) -> None:
        self.connector = connector
        self.accounts = CustomerAccounts(connector.client)

    async def simulate_order(
        self,
        sold_to: str,
        currency: str,
        lines: Sequence[QuoteLine],
        *,
        sales_area: SalesArea | None = None,
        timeout_s: float | None = None,
    ) -> Simulation:
        """The ERP's simulation of an order (see `connectors.s4hana.simulation`)."""
        return await self.connector.simulate_order(
            sold_to, currency, lines, sales_area=sales_area, timeout_s=timeout_s
        )

    async def customer(
        self,
        *,
        business_partner: str | None = None,
        customer: str | None = None,
        reference: str | None = None,
    ) -> ErpCustomer | None:
        """The customer by partner number, customer number or reference."""
        return await self.accounts.customer(
            business_partner=business_partner, customer=customer, reference=reference
        )

    async def open_sales_orders(self, customer: str, cap: int) -> Scan[SalesOrderSummary]:
        """Open sales orders, newest first."""
        return await self.accounts.open_sales_orders(customer, cap)

    async def open_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        """Invoices not yet paid, oldest due first."""
        return await self.accounts.open_invoices(customer, cap)

    async def cleared_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]:
        """The latest paid invoices."""
        return await self.accounts.cleared_invoices(customer, cap)

    async def aclose(self) -> None:
        """Close the connector's HTTP client."""
        await self.connector.aclose()
