"""Customer returns through the S/4HANA connector against the ERP sandbox: one return per
reference however often it is created (also after a lost answer), refusals naming the field,
and status followed to the credit memo."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from causeway.connectors.errors import ErrorClass, InvalidRecordError
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.customer_returns import (
    CustomerReturns,
    ReturnLine,
    ReturnRequest,
    material_lines,
)
from causeway.sandbox.faults import FaultPlan
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio
DAY = 24 * 60


async def billed_order(sandbox: Sandboxes, client: S4Client, customer: str, quantity: str) -> str:
    """A sales order for the first product, delivered and invoiced on the ERP's clock."""
    material = sandbox.universe.products[0].sku
    response = await client.request("POST", "API_SALES_ORDER_SRV", "A_SalesOrder", json={
        "SoldToParty": customer,
        "to_Item": [{"Material": material, "RequestedQuantity": quantity}],
    })
    sandbox.admin_post("erp", "clock/advance", {"minutes": DAY})
    return str(response.json()["d"]["SalesOrder"])


def reference() -> str:
    return "CASE-" + uuid.uuid4().hex[:8].upper()


async def test_create_is_idempotent_by_reference_and_reads_the_order(sandbox: Sandboxes) -> None:
    client = S4Client(sandbox.s4_settings())
    returns = CustomerReturns(client)
    try:
        order_number = await billed_order(sandbox, client, "10000011", "3")
        order = await returns.order(order_number)
        assert order is not None
        assert order.sold_to == "10000011"
        lines = material_lines(order, sandbox.universe.products[0].sku, Decimal(1))
        request = ReturnRequest(reference(), "10000011", order_number, tuple(lines), "101")
        first = await returns.create(request)
        again = await returns.create(request)
        assert first.created
        assert not again.created
        assert again.number == first.number
        assert await returns.find(request.reference) == first.number
        assert await returns.order("9999999") is None
    finally:
        await client.aclose()


async def test_a_lost_answer_then_retry_creates_one_return(sandbox: Sandboxes) -> None:
    client = S4Client(sandbox.s4_settings(timeout_s=1.0))
    returns = CustomerReturns(client)
    try:
        order_number = await billed_order(sandbox, client, "10000012", "2")
        request = ReturnRequest(
            reference(), "10000012", order_number,
            (ReturnLine(sandbox.universe.products[0].sku, Decimal(2)),),
        )
        sandbox.set_faults("erp", FaultPlan(ambiguous_write_rate=1.0, ambiguous_delay_s=2))
        outcome = await returns.create(request)  # the answer is lost, the lookup finds it
        sandbox.set_faults("erp", FaultPlan())
        await asyncio.sleep(1.5)
        retried = await returns.create(request)
        assert not outcome.created
        assert not retried.created
        assert outcome.number == retried.number
        assert await returns.find(request.reference) == outcome.number
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await client.aclose()


async def test_a_quantity_above_the_billed_one_is_refused_naming_the_field(
    sandbox: Sandboxes,
) -> None:
    client = S4Client(sandbox.s4_settings())
    returns = CustomerReturns(client)
    try:
        order_number = await billed_order(sandbox, client, "10000013", "1")
        request = ReturnRequest(
            reference(), "10000013", order_number,
            (ReturnLine(sandbox.universe.products[0].sku, Decimal(5)),),
        )
        with pytest.raises(InvalidRecordError) as refused:
            await returns.create(request)
        assert refused.value.error_class is ErrorClass.INVALID
        assert refused.value.field == "RequestedQuantity"
        assert "exceeds billed quantity 1" in refused.value.message
        assert await returns.find(request.reference) is None
    finally:
        await client.aclose()


async def test_status_follows_the_return_to_its_credit_memo(sandbox: Sandboxes) -> None:
    client = S4Client(sandbox.s4_settings())
    returns = CustomerReturns(client)
    try:
        order_number = await billed_order(sandbox, client, "10000014", "2")
        request = ReturnRequest(
            reference(), "10000014", order_number,
            (ReturnLine(sandbox.universe.products[0].sku, Decimal(2)),),
        )
        created = await returns.create(request)
        opened = await returns.state(created.number)
        assert not opened.received
        assert not opened.credited
        assert opened.credit_memos == ()
        assert opened.changed_at is not None
        sandbox.admin_post("erp", "clock/advance", {"minutes": 2 * DAY + 1})
        received = await returns.state(created.number)
        assert received.received
        assert not received.credited
        sandbox.admin_post("erp", "clock/advance", {"minutes": 120})
        credited = await returns.state(created.number)
        assert credited.credited
        [memo] = credited.credit_memos
        assert memo.net_amount == credited.net_amount > 0
        changed = await returns.changed_since(opened.changed_at)
        assert (created.number, request.reference) in [(n, r) for n, r, _ in changed]
    finally:
        await client.aclose()
