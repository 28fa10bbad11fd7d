"""Quote validation: can this quote become an order in the ERP as it stands?

Four checks, each answered with findings that name the request field, a code and the ERP's
figure, so a quote screen can point at the exact cell to fix:

- customer: known to Causeway and synced to the ERP (a cross-reference, or the reference
  Causeway stamps on partners it creates), and not blocked there (central block, archiving,
  order blocks of the customer or its sales area, deletion flags);
- prices: each line's quoted unit price against the ERP's simulated net price, within a
  tolerance (a percentage of the ERP's price, at least a fixed amount for rounding);
- credit: the simulated order against the customer's credit (the simulation's own credit
  check, with limit, exposure and headroom read from the sales area);
- lines the ERP refuses (unknown material) are named, and the rest still priced.

A go/no-go answer must not rest on stale data: when the ERP is slow or down the service
raises `ErpUnavailable` (503 with Retry-After) instead of answering from a cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from causeway.api.customer_directory import CustomerDirectory, Identity
from causeway.api.pricing import rejection
from causeway.api.quote_verdict import (
    CheckState,
    Credit,
    CustomerRef,
    Finding,
    LineToCheck,
    LinkedBy,
    ResolvedCustomer,
    Validation,
    ValidationSettings,
)
from causeway.api.upstream import Upstream, UpstreamFailure
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.customer_account import ErpCustomer
from causeway.connectors.s4hana.customer_account import SalesArea as CustomerSalesArea
from causeway.connectors.s4hana.simulation import QuoteLine, SalesArea, Simulation
from causeway.sync.xref import short_reference

MAX_REFUSED_LINES = 3
"""Simulations re-run without a refused line at most this often; beyond, prices are skipped."""


class ValidationBackend(Protocol):
    """The ERP as validation reads it: customers and the order simulation."""

    async def customer(
        self,
        *,
        business_partner: str | None = None,
        customer: str | None = None,
        reference: str | None = None,
    ) -> ErpCustomer | None: ...

    async def simulate_order(
        self,
        sold_to: str,
        currency: str,
        lines: Sequence[QuoteLine],
        *,
        sales_area: SalesArea | None = None,
        timeout_s: float | None = None,
    ) -> Simulation: ...


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class QuoteValidator:
    """Validates quotes against the ERP through `erp` (deadline and breaker, maybe shared)."""

    def __init__(
        self,
        backend: ValidationBackend,
        directory: CustomerDirectory,
        settings: ValidationSettings | None = None,
        *,
        erp: Upstream | None = None,
    ) -> None:
        self.backend = backend
        self.directory = directory
        self.settings = settings or ValidationSettings()
        self.erp = erp or Upstream("erp")

    async def validate(
        self, ref: CustomerRef, currency: str, lines: Sequence[LineToCheck]
    ) -> Validation:
        """Run every check; raises `ErpUnavailable` when the ERP cannot be asked."""
        try:
            return await self._validate(ref, currency, lines)
        except UpstreamFailure as failure:
            raise self.erp.unavailable(
                failure, f"{failure.detail}; the quote cannot be validated now"
            ) from None

    async def _validate(
        self, ref: CustomerRef, currency: str, lines: Sequence[LineToCheck]
    ) -> Validation:
        resolved, erp_customer, finding = await self._resolve(ref)
        result = Validation(resolved, currency)
        if erp_customer is None:
            result.checks["customer"] = "failed"
            result.findings.append(finding or _unknown())
            return result
        blocks = _blocks(erp_customer)
        result.findings.extend(blocks)
        result.checks["customer"] = "failed" if blocks else "passed"
        if blocks:
            return result  # the ERP refuses to simulate an order for a blocked customer
        await self._price_and_credit(result, erp_customer, currency, lines)
        return result

    async def _resolve(
        self, ref: CustomerRef
    ) -> tuple[ResolvedCustomer, ErpCustomer | None, Finding | None]:
        directory = self.directory
        if ref.erp_customer is not None:
            found = await self._read(customer=ref.erp_customer)
            if found is None:
                return ResolvedCustomer(erp_customer=ref.erp_customer), None, Finding(
                    "customer", "customer-unknown", "error",
                    f"the ERP has no customer {ref.erp_customer}",
                )
            identity = await asyncio.to_thread(
                directory.by_system, directory.erp, found.business_partner
            )
            return _resolved(found, identity, "erp"), found, None
        if ref.salesforce_id is not None:
            identity = await asyncio.to_thread(
                directory.by_system, directory.crm, ref.salesforce_id
            )
            who = f"the CRM account {ref.salesforce_id}"
            unresolved = ResolvedCustomer(salesforce_id=ref.salesforce_id)
        else:
            assert ref.causeway_id is not None
            identity = await asyncio.to_thread(directory.by_canonical, ref.causeway_id)
            if identity is None:
                return ResolvedCustomer(causeway_id=ref.causeway_id), None, Finding(
                    "customer", "customer-unknown", "error",
                    f"Causeway knows no customer {ref.causeway_id}",
                )
            who = f"the customer {ref.causeway_id}"
            unresolved = ResolvedCustomer(causeway_id=ref.causeway_id)
        if identity is None:
            return unresolved, None, _not_synced(f"{who} has not been synced yet")
        partner = identity.links.get(directory.erp)
        if partner is not None:
            found = await self._read(business_partner=partner)
            if found is None:
                return _resolved(None, identity, None), None, Finding(
                    "customer", "customer-unknown", "error",
                    f"{who} is linked to ERP partner {partner}, which the ERP no longer has",
                    erp_value=partner,
                )
            return _resolved(found, identity, "xref"), found, None
        # Created in the ERP by the sync, whose answer is not recorded yet: the reference
        # Causeway stamps on the partner still tells.
        found = await self._read(reference=short_reference(identity.canonical_id))
        if found is None:
            return _resolved(None, identity, None), None, _not_synced(
                f"{who} has no customer in the ERP yet"
            )
        return _resolved(found, identity, "reference"), found, None

    async def _read(self, **key: str) -> ErpCustomer | None:
        try:
            return await self.erp.call(
                lambda deadline: asyncio.wait_for(self.backend.customer(**key), deadline)
            )
        except ConnectorError:  # the ERP refused the lookup itself: it has no such customer
            return None

    async def _price_and_credit(
        self,
        result: Validation,
        customer: ErpCustomer,
        currency: str,
        lines: Sequence[LineToCheck],
    ) -> None:
        area = customer.first_sales_area
        if area is None:
            result.checks["customer"] = "failed"
            result.findings.append(Finding(
                "customer", "customer-no-sales-area", "error",
                f"ERP customer {customer.customer} has no sales area to order in",
            ))
            return
        positions = list(range(len(lines)))
        refused = 0
        simulation: Simulation | None = None
        while positions:
            try:
                simulation = await self._simulate(customer, area, currency, lines, positions)
                break
            except ConnectorError as error:
                refusal = rejection(error, len(positions))
                if refusal.line is None or refused >= MAX_REFUSED_LINES:
                    result.findings.append(Finding(
                        "customer" if refusal.line is None else "lines",
                        "erp-refused", "error", refusal.message,
                    ))
                    if refusal.line is None:
                        result.checks["customer"] = "failed"
                    return
                index = positions.pop(refusal.line)
                refused += 1
                result.findings.append(_refused_line(index, refusal.field, refusal.message))
        if simulation is None:
            return  # every line was refused
        result.net_amount = simulation.net_amount
        result.checks["prices"] = self._prices(result, simulation, lines, positions)
        result.checks["credit"] = _credit(result, simulation, area)

    async def _simulate(
        self,
        customer: ErpCustomer,
        area: CustomerSalesArea,
        currency: str,
        lines: Sequence[LineToCheck],
        positions: Sequence[int],
    ) -> Simulation:
        quote = [QuoteLine(lines[i].material, lines[i].quantity) for i in positions]
        sales_area = SalesArea(area.sales_organization, area.distribution_channel, area.division)
        return await self.erp.call(
            lambda deadline: self.backend.simulate_order(
                customer.customer, currency, quote, sales_area=sales_area, timeout_s=deadline
            )
        )

    def _prices(
        self,
        result: Validation,
        simulation: Simulation,
        lines: Sequence[LineToCheck],
        positions: Sequence[int],
    ) -> CheckState:
        state: CheckState = "passed"
        for position, index in enumerate(positions):
            line = lines[index]
            if position >= len(simulation.lines):  # the ERP left the line out of its answer
                state = "failed"
                result.findings.append(Finding(
                    f"lines.{index}.unit_price", "price-unknown", "error",
                    f"the ERP did not price {line.material}", quoted_value=_text(line.unit_price),
                ))
                continue
            priced = simulation.lines[position]
            if line.currency != simulation.currency:
                state = "failed"
                result.findings.append(Finding(
                    f"lines.{index}.currency", "currency-mismatch", "error",
                    f"the line is quoted in {line.currency}, the order in "
                    f"{simulation.currency}",
                    erp_value=simulation.currency, quoted_value=line.currency,
                ))
                continue
            if priced.confirmed_quantity < priced.requested_quantity:
                result.findings.append(Finding(
                    f"lines.{index}.quantity", "quantity-not-confirmed", "warning",
                    f"the ERP confirms {_text(priced.confirmed_quantity)} of "
                    f"{_text(line.quantity)} now",
                    erp_value=_text(priced.confirmed_quantity), quoted_value=_text(line.quantity),
                ))
            erp_price = priced.unit_net_price
            if erp_price is None:
                state = "failed"
                result.findings.append(Finding(
                    f"lines.{index}.unit_price", "price-unknown", "error",
                    f"the ERP has no price for {line.material}",
                    quoted_value=_text(line.unit_price),
                ))
                continue
            difference = line.unit_price - erp_price
            if abs(difference) > self.settings.allowed(erp_price):
                state = "failed"
                result.findings.append(Finding(
                    f"lines.{index}.unit_price", "price-mismatch", "error",
                    f"quoted {_text(line.unit_price)} {line.currency}, the ERP prices "
                    f"{_text(erp_price)}",
                    erp_value=_text(erp_price), quoted_value=_text(line.unit_price),
                    details={"difference": _text(difference),
                             "allowed": _text(self.settings.allowed(erp_price))},
                ))
        return state


def _resolved(
    found: ErpCustomer | None, identity: Identity | None, how: LinkedBy | None
) -> ResolvedCustomer:
    links = identity.links if identity is not None else {}
    return ResolvedCustomer(
        erp_customer=found.customer if found else None,
        business_partner=found.business_partner if found else None,
        salesforce_id=links.get("salesforce"),
        causeway_id=identity.canonical_id if identity is not None else None,
        name=found.name if found else None,
        linked_by=how if found else None,
    )


def _unknown() -> Finding:
    return Finding("customer", "customer-unknown", "error", "the customer is not known")


def _not_synced(message: str) -> Finding:
    return Finding("customer", "customer-not-synced", "error", message)


def _blocks(customer: ErpCustomer) -> list[Finding]:
    """Everything on the ERP side that stops an order for this customer."""
    found: list[Finding] = []

    def block(erp_field: str, value: str, what: str) -> None:
        found.append(Finding(
            "customer", "customer-blocked", "error",
            f"ERP customer {customer.customer} {what}", erp_value=value,
            details={"erp_field": erp_field},
        ))

    if customer.centrally_blocked:
        block("BusinessPartnerIsBlocked", "true", "is centrally blocked")
    if customer.archived:
        block("IsMarkedForArchiving", "true", "is marked for archiving")
    if customer.deleted:
        block("DeletionIndicator", "true", "is flagged for deletion")
    if customer.order_block:
        block("OrderIsBlockedForCustomer", customer.order_block, "is blocked for orders")
    area = customer.first_sales_area
    if area is not None and area.order_block:
        block("A_CustomerSalesArea.OrderIsBlockedForCustomer", area.order_block,
              f"is blocked for orders in sales area {area.sales_organization}")
    if area is not None and area.deleted:
        block("A_CustomerSalesArea.DeletionIndicator", "true",
              f"is flagged for deletion in sales area {area.sales_organization}")
    return found


def _refused_line(index: int, erp_field: str | None, message: str) -> Finding:
    if erp_field == "Material":
        return Finding(f"lines.{index}.material", "material-unknown", "error", message)
    if erp_field == "RequestedQuantity":
        return Finding(f"lines.{index}.quantity", "line-refused", "error", message)
    return Finding(f"lines.{index}", "line-refused", "error", message)


def _credit(result: Validation, simulation: Simulation, area: CustomerSalesArea) -> CheckState:
    """The simulation's credit check decides; the sales area's figures explain it."""
    result.credit = Credit(
        status=simulation.credit_status or "",
        limit=area.credit_limit,
        exposure=area.credit_exposure,
        headroom=area.credit_headroom,
        currency=area.currency,
    )
    if not simulation.credit_blocked:
        return "passed"
    headroom = _text(area.credit_headroom)
    result.findings.append(Finding(
        "customer", "credit-limit-exceeded", "error",
        f"the ERP's credit check blocks an order of {_text(simulation.net_amount)} "
        f"{simulation.currency}: credit headroom {headroom} {area.currency or ''}".rstrip(),
        erp_value=headroom, quoted_value=_text(simulation.net_amount),
        details={
            "credit_limit": _text(area.credit_limit),
            "credit_exposure": _text(area.credit_exposure),
            "credit_currency": area.currency,
            "order_currency": simulation.currency,
        },
    ))
    return "failed"
