"""Account 360: one customer across Causeway, the CRM and the ERP, gathered in one call.

The key may be a Salesforce account id, an ERP customer number or a canonical id; the store's
cross-references find the other ids, the golden record says what Causeway believes. The ERP
adds blocks, credit, open sales orders, open invoices and the latest payments; the CRM adds
the account and its unfinished orders. Both systems are asked at once, each within its own
deadline: one that fails or is not configured leaves its part out and says why in `sources`,
so a partial answer is never mistaken for an empty one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Generic, Literal, Protocol, TypeVar

from causeway.api.crm_account import CrmAccount, CrmOrder
from causeway.api.customer_directory import CustomerDirectory, GoldenView, Identity, KeyKind
from causeway.api.upstream import ErpUnavailable, Upstream, UpstreamFailure
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.customer_account import (
    ErpCustomer,
    InvoiceSummary,
    SalesOrderSummary,
    Scan,
)

T = TypeVar("T")
SourceStatus = Literal["ok", "unreachable", "not-linked", "not-found", "not-configured"]


class ErpAccountBackend(Protocol):
    """What account 360 reads from the ERP."""

    async def customer(
        self,
        *,
        business_partner: str | None = None,
        customer: str | None = None,
        reference: str | None = None,
    ) -> ErpCustomer | None: ...

    async def open_sales_orders(self, customer: str, cap: int) -> Scan[SalesOrderSummary]: ...

    async def open_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]: ...

    async def cleared_invoices(self, customer: str, cap: int) -> Scan[InvoiceSummary]: ...


class CrmAccountBackend(Protocol):
    """What account 360 reads from the CRM."""

    async def account(self, account_id: str) -> CrmAccount | None: ...

    async def open_orders(self, account_id: str, cap: int) -> Scan[CrmOrder]: ...


class AccountNotFound(Exception):
    """No system and no cross-reference knows the key."""

    def __init__(self, key: str, kind: KeyKind) -> None:
        super().__init__(f"no customer {key}")
        self.key = key
        self.kind = kind


@dataclass(frozen=True)
class AccountSettings:
    """`scan_cap`: documents read per list to count and total them (beyond: `complete` false)."""

    scan_cap: int = 1000

    def __post_init__(self) -> None:
        if self.scan_cap < 1:
            raise ValueError("scan_cap must be at least 1")


@dataclass(frozen=True)
class Source:
    """Whether a system's part is in the answer, and why not."""

    system: str
    status: SourceStatus
    reason: str | None = None


@dataclass(frozen=True)
class ErpPart:
    """The ERP's view: the customer and its open documents and latest payments."""

    customer: ErpCustomer
    sales_orders: Scan[SalesOrderSummary]
    open_invoices: Scan[InvoiceSummary]
    payments: Scan[InvoiceSummary]


@dataclass(frozen=True)
class CrmPart:
    """The CRM's view: the account and its unfinished orders."""

    account: CrmAccount
    orders: Scan[CrmOrder]


@dataclass
class AccountView:
    """Everything known of one customer; `sources` says which parts could be read."""

    key: str
    kind: KeyKind
    identity: Identity | None
    golden: GoldenView | None
    erp: ErpPart | None = None
    crm: CrmPart | None = None
    sources: list[Source] = field(default_factory=list)
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    today: date = field(default_factory=lambda: datetime.now(UTC).date())

    @property
    def partial(self) -> bool:
        """True when a linked system could not be read."""
        return any(source.status == "unreachable" for source in self.sources)


class AccountService:
    """Gathers account views; `crm` is optional (without it the CRM part is left out)."""

    def __init__(
        self,
        directory: CustomerDirectory,
        erp_backend: ErpAccountBackend,
        crm_backend: CrmAccountBackend | None = None,
        settings: AccountSettings | None = None,
        *,
        erp: Upstream | None = None,
        crm: Upstream | None = None,
    ) -> None:
        self.directory = directory
        self.erp_backend = erp_backend
        self.crm_backend = crm_backend
        self.settings = settings or AccountSettings()
        self.erp = erp or Upstream("erp")
        self.crm = crm or Upstream("crm")

    async def view(self, key: str, kind: KeyKind) -> AccountView:
        """The customer behind `key`; raises `AccountNotFound`, or `ErpUnavailable` when the
        only system that could tell whether the key exists cannot be reached."""
        directory = self.directory
        if kind == "causeway":
            identity = await asyncio.to_thread(directory.by_canonical, key)
            if identity is None:
                raise AccountNotFound(key, kind)
        else:
            system = directory.erp if kind == "erp" else directory.crm
            identity = await asyncio.to_thread(directory.by_system, system, key)
        links = identity.links if identity is not None else {}
        partner = links.get(directory.erp)
        account_id = links.get(directory.crm) or (key if kind == "salesforce" else None)
        erp_read, crm_read = await asyncio.gather(
            self._erp_part(partner, key if kind == "erp" and partner is None else None),
            self._crm_part(account_id),
        )
        if identity is None and erp_read.part is not None:
            # An ERP customer number need not be its partner's number, which the xref holds.
            partner_number = erp_read.part.customer.business_partner
            if partner_number != key:
                identity = await asyncio.to_thread(
                    directory.by_system, directory.erp, partner_number
                )
                crm_id = identity.links.get(directory.crm) if identity is not None else None
                if crm_id is not None:
                    crm_read = await self._crm_part(crm_id)
        if identity is None:
            # Only the system the key belongs to can tell whether the customer exists.
            asked: _Read[ErpPart] | _Read[CrmPart] = erp_read if kind == "erp" else crm_read
            if asked.unavailable is not None:
                raise asked.unavailable
            if asked.part is None:
                raise AccountNotFound(key, kind)
        golden = None
        if identity is not None:
            golden = await asyncio.to_thread(directory.golden, identity.canonical_id)
        return AccountView(
            key, kind, identity, golden, erp_read.part, crm_read.part,
            [erp_read.source, crm_read.source],
        )

    async def _erp_part(
        self, partner: str | None, customer_number: str | None
    ) -> _Read[ErpPart]:
        if partner is None and customer_number is None:
            return _Read(Source("erp", "not-linked", "the customer has no ERP partner yet"))
        cap = self.settings.scan_cap
        backend = self.erp_backend

        async def read() -> ErpPart | None:
            if partner is not None:
                found = await backend.customer(business_partner=partner)
            else:
                found = await backend.customer(customer=customer_number)
            if found is None:
                return None
            orders, invoices, payments = await asyncio.gather(
                backend.open_sales_orders(found.customer, cap),
                backend.open_invoices(found.customer, cap),
                backend.cleared_invoices(found.customer, cap),
            )
            return ErpPart(found, orders, invoices, payments)

        return await self._part("erp", self.erp, read)

    async def _crm_part(self, account_id: str | None) -> _Read[CrmPart]:
        if self.crm_backend is None:
            return _Read(Source("crm", "not-configured", "no CRM is configured for this API"))
        if account_id is None:
            return _Read(Source("crm", "not-linked", "the customer has no CRM account yet"))
        backend = self.crm_backend
        cap = self.settings.scan_cap

        async def read() -> CrmPart | None:
            account = await backend.account(account_id)
            if account is None:
                return None
            return CrmPart(account, await backend.open_orders(account_id, cap))

        return await self._part("crm", self.crm, read)

    async def _part(
        self, label: str, upstream: Upstream, read: Callable[[], Awaitable[T | None]]
    ) -> _Read[T]:
        try:
            part = await upstream.call(lambda deadline: asyncio.wait_for(read(), deadline))
        except UpstreamFailure as failure:
            detail = f"{failure.detail}; the customer cannot be looked up now"
            return _Read(
                Source(label, "unreachable", failure.reason),
                unavailable=upstream.unavailable(failure, detail),
            )
        except ConnectorError as error:  # a refused read: the key is not one it knows
            return _Read(Source(label, "not-found", error.message))
        if part is None:
            return _Read(Source(label, "not-found", f"the {label.upper()} has no such customer"))
        return _Read(Source(label, "ok"), part)


@dataclass(frozen=True)
class _Read(Generic[T]):
    """One system's part, or why it is missing (and the 503 should nothing else answer)."""

    source: Source
    part: T | None = None
    unavailable: ErpUnavailable | None = None
