"""The process APIs' services built from a project: one ERP connector and breaker for all.

Price and availability, quote validation and account 360 talk to the same ERP, so they share
one S/4HANA connector (its connection pool, CSRF token and pacing) and one `Upstream` (its deadline
and circuit breaker): an ERP that is down is noticed once and spared by all three. Account
360 also reads the CRM when the project has a Salesforce system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine

from causeway.api.account_view import AccountService, AccountSettings
from causeway.api.crm_account import CrmAccounts
from causeway.api.customer_directory import CustomerDirectory
from causeway.api.erp_reads import ErpReads
from causeway.api.pricing import PricingService, PricingSettings
from causeway.api.quote_validation import QuoteValidator
from causeway.api.quote_verdict import ValidationSettings
from causeway.api.upstream import Upstream
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.project import Project, ProjectError


@dataclass(frozen=True)
class ProcessOptions:
    """Which process APIs to serve, over which systems, with which limits."""

    erp_system: str = "s4hana"
    crm_system: str = "salesforce"
    pricing: PricingSettings = field(default_factory=PricingSettings)
    crm_timeout: float = 2.0
    quote_validation: bool = True
    price_tolerance_percent: float = 0.5
    price_tolerance_amount: float = 0.01
    accounts: bool = True
    account_scan_cap: int = 1000


@dataclass
class ProcessServices:
    """The services to hand to `create_app`; None where the project lacks the system."""

    pricing: PricingService | None = None
    quote_validator: QuoteValidator | None = None
    accounts: AccountService | None = None
    closers: list[ErpReads | SalesforceConnector] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close the connectors' HTTP clients."""
        for closer in self.closers:
            await closer.aclose()


def build_process_services(
    project: Project, engine: Engine, options: ProcessOptions
) -> ProcessServices:
    """The services the project's systems allow; raises ProjectError for a bad system."""
    services = ProcessServices()
    erp_config = project.config.systems.get(options.erp_system)
    if erp_config is None or erp_config.type != "s4hana":
        return services
    connector = project.connector(options.erp_system)
    if not isinstance(connector, S4Connector):
        raise ProjectError(f"systems.{options.erp_system}: not an S/4HANA connector")
    reads = ErpReads(connector)
    services.closers.append(reads)
    settings = options.pricing
    erp = Upstream(
        "erp", timeout=settings.erp_timeout, breaker_threshold=settings.breaker_threshold,
        breaker_cooldown=settings.breaker_cooldown,
    )
    services.pricing = PricingService(reads, settings, erp=erp)
    directory = CustomerDirectory(engine, crm=options.crm_system, erp=options.erp_system)
    if options.quote_validation:
        tolerance = ValidationSettings(
            price_tolerance_percent=Decimal(str(options.price_tolerance_percent)),
            price_tolerance_amount=Decimal(str(options.price_tolerance_amount)),
        )
        services.quote_validator = QuoteValidator(reads, directory, tolerance, erp=erp)
    if options.accounts:
        crm_reads = None
        crm_config = project.config.systems.get(options.crm_system)
        if crm_config is not None and crm_config.type == "salesforce":
            crm_connector = project.connector(options.crm_system)
            if not isinstance(crm_connector, SalesforceConnector):
                raise ProjectError(f"systems.{options.crm_system}: not a Salesforce connector")
            services.closers.append(crm_connector)
            crm_reads = CrmAccounts(crm_connector.client)
        services.accounts = AccountService(
            directory, reads, crm_reads,
            AccountSettings(scan_cap=options.account_scan_cap),
            erp=erp,
            crm=Upstream("crm", timeout=options.crm_timeout),
        )
    return services
