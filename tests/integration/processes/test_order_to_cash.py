"""Order-to-cash against both sandboxes: an order through to paid, the credit block parked
and retried after the limit was raised, a price mismatch fixed in the CRM, a customer the
sync has not linked yet, and a cancellation compensated in the ERP."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.sales_orders import OrderLine
from causeway.connectors.salesforce.soql import compare
from causeway.processes.operations import retry_exception
from causeway.processes.order_steps import ORDER_ENTITY
from causeway.processes.work_queue import WorkQueueError
from causeway.sandbox.seed import SeedConfig
from causeway.sync.xref import Xref
from tests.integration.processes.order_world import DAY, FAST, HOUR, OrderWorld, order_world
from tests.support.postgres import throwaway_database
from tests.support.sandboxes import Sandboxes, sandboxes

PAYMENT_DUE = 95 * DAY
"""Past the longest seeded payment terms (NT90): every invoice is paid by then."""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandboxes]:
    with sandboxes(tmp_path / "sandboxes", SeedConfig(accounts=20, products=5)) as running:
        yield running


@pytest.fixture
def world(sandbox: Sandboxes, tmp_path: Path) -> Iterator[OrderWorld]:
    with order_world(sandbox, tmp_path) as running:
        yield running


def _invoices(world: OrderWorld, order_id: str) -> list[dict[str, object]]:
    return world.query(
        "Invoice__c", ("Id", "ERP_Billing_Document__c", "Amount__c", "Status__c"),
        compare("Order__c", "=", order_id),
    )


def test_an_activated_order_reaches_paid_with_its_invoice_and_payment(world: OrderWorld) -> None:
    account, customer = world.linked_accounts()[0]
    world.set_credit_limit(customer, Decimal("100000000"))
    products = world.products()
    order_id = world.create_order(
        account, customer, [(products[0], Decimal(2)), (products[1], Decimal(1))]
    )

    world.pump(lambda: world.order(order_id)["ERP_Sales_Order__c"] is not None)
    order = world.order(order_id)
    (erp_order,) = world.erp_orders(order["OrderNumber"])
    assert order["ERP_Sales_Order__c"] == erp_order["SalesOrder"]
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Open")

    world.advance_erp(5 * HOUR)
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Delivered")
    world.advance_erp(3 * HOUR)
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Invoiced")
    (invoice,) = _invoices(world, order_id)
    assert invoice["Status__c"] == "Open"

    world.advance_erp(PAYMENT_DUE)
    world.pump(lambda: world.outcome(order_id) == "SUCCESS")
    assert world.order(order_id)["ERP_Status__c"] == "Paid"
    assert world.engine.result("order_to_cash", order_id)["outcome"] == "completed"
    (invoice,) = _invoices(world, order_id)
    assert invoice["Status__c"] == "Paid"
    (payment,) = world.query(
        "Payment__c", ("Amount__c", "Account__c"), compare("Invoice__c", "=", invoice["Id"])
    )
    assert (payment["Amount__c"], payment["Account__c"]) == (invoice["Amount__c"], account)
    assert len(world.erp_orders(order["OrderNumber"])) == 1


def test_a_credit_block_waits_on_the_queue_and_a_retry_after_raising_the_limit_completes(
    world: OrderWorld,
) -> None:
    account, customer = world.linked_accounts()[1]
    world.set_credit_limit(customer, Decimal(1))
    products = world.products()
    order_id = world.create_order(account, customer, [(products[0], Decimal(3))])

    world.pump(lambda: bool(world.open_exceptions(order_id)))
    (parked,) = world.open_exceptions(order_id)
    number = world.order(order_id)["OrderNumber"]
    (erp_order,) = world.erp_orders(number)
    assert (parked.reason, parked.step) == ("credit_block", "credit_check")
    assert (parked.crm_order_number, parked.erp_document) == (number, erp_order["SalesOrder"])
    assert world.order(order_id)["ERP_Status__c"] == "Credit Block"

    # A retry while the limit is unchanged meets the same block: the row opens again.
    retry_exception(world.systems.queue, world.url, parked.id)
    world.pump(lambda: world.systems.queue.get(parked.id).attempts == 2)
    assert world.systems.queue.get(parked.id).status == "open"

    world.set_credit_limit(customer, Decimal("100000000"))
    retry_exception(world.systems.queue, world.url, parked.id)
    world.pump(lambda: world.systems.queue.get(parked.id).status == "resolved")
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Open")
    world.advance_erp(5 * HOUR)
    world.advance_erp(3 * HOUR)
    world.advance_erp(PAYMENT_DUE)
    world.pump(lambda: world.outcome(order_id) == "SUCCESS")
    assert world.order(order_id)["ERP_Status__c"] == "Paid"
    assert len(world.erp_orders(number)) == 1
    assert len(_invoices(world, order_id)) == 1


def test_a_price_mismatch_is_parked_and_resumes_once_the_crm_price_is_fixed(
    world: OrderWorld,
) -> None:
    account, customer = world.linked_accounts()[2]
    world.set_credit_limit(customer, Decimal("100000000"))
    product = world.products()[0]
    order_id = world.create_order(
        account, customer, [(product, Decimal(1))], price_factor=Decimal("0.8")
    )
    world.pump(lambda: bool(world.open_exceptions(order_id)))
    (parked,) = world.open_exceptions(order_id)
    assert (parked.reason, parked.step) == ("price_mismatch", "validate")
    assert "UnitPrice" in parked.message
    assert product.material in parked.message
    number = world.order(order_id)["OrderNumber"]
    assert world.erp_orders(number) == []

    (line,) = world.query("OrderItem", ("Id",), compare("OrderId", "=", order_id))
    price = world.price(customer, "EUR", product.material, Decimal(1))
    world.crm("PATCH", f"sobjects/OrderItem/{line['Id']}", {"UnitPrice": float(price)})
    retry_exception(world.systems.queue, world.url, parked.id)
    world.pump(lambda: world.order(order_id)["ERP_Sales_Order__c"] is not None)
    assert world.systems.queue.get(parked.id).status == "resolved"
    assert len(world.erp_orders(number)) == 1
    with pytest.raises(WorkQueueError, match="is resolved, only open ones"):
        retry_exception(world.systems.queue, world.url, parked.id)


def test_an_order_waits_for_its_customer_then_parks_and_resumes_once_linked(
    world: OrderWorld,
) -> None:
    account, customer = world.linked_accounts()[3]
    world.set_credit_limit(customer, Decimal("100000000"))
    with world.database.begin() as connection:  # as if the sync had not linked it yet
        xref = Xref(connection)
        canonical = xref.canonical_id("customer", "salesforce", account)
        assert canonical is not None
        xref.unlink("customer", canonical, "s4hana")
    order_id = world.create_order(account, customer, [(world.products()[0], Decimal(1))])
    world.pump(lambda: bool(world.open_exceptions(order_id)))
    (parked,) = world.open_exceptions(order_id)
    assert parked.reason == "customer_missing"
    assert account in parked.message

    with world.database.begin() as connection:  # the sync links it
        Xref(connection).link("customer", canonical, "s4hana", customer)
    retry_exception(world.systems.queue, world.url, parked.id)
    world.pump(lambda: world.order(order_id)["ERP_Sales_Order__c"] is not None)
    (erp_order,) = world.erp_orders(world.order(order_id)["OrderNumber"])
    assert erp_order["SoldToParty"] == customer


def test_cancelling_before_delivery_deletes_the_erp_order(world: OrderWorld) -> None:
    account, customer = world.linked_accounts()[4]
    world.set_credit_limit(customer, Decimal("100000000"))
    order_id = world.create_order(account, customer, [(world.products()[1], Decimal(2))])
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Open")
    number = world.order(order_id)["OrderNumber"]
    assert len(world.erp_orders(number)) == 1

    world.crm("PATCH", f"sobjects/Order/{order_id}", {"Status": "Cancelled"})
    world.pump(lambda: world.outcome(order_id) == "SUCCESS")
    outcome = world.engine.result("order_to_cash", order_id)
    assert outcome["outcome"] == "cancelled"
    assert outcome["compensated"] == ["delete_erp_order"]
    assert world.erp_orders(number) == []
    assert world.order(order_id)["ERP_Status__c"] == "Cancelled"
    with world.database.connect() as connection:
        assert Xref(connection).canonical_id(ORDER_ENTITY, "salesforce", order_id) is not None


def test_an_erp_order_created_before_a_crash_is_found_not_created_again(
    world: OrderWorld,
) -> None:
    # The ERP answered the create, then the host died before the step was checkpointed: the
    # ERP holds the order, Causeway knows nothing of it. The instance must find it.
    account, customer = world.linked_accounts()[5]
    world.set_credit_limit(customer, Decimal("100000000"))
    product = world.products()[2]
    order_id = world.create_order(account, customer, [(product, Decimal(1))], activate=False)
    number = world.order(order_id)["OrderNumber"]
    lines = [OrderLine(product.material, Decimal(1))]
    created, _ = world.systems.run(lambda: world.systems.erp.ensure(number, customer, "EUR", lines))

    world.crm("PATCH", f"sobjects/Order/{order_id}", {"Status": "Activated"})
    world.pump(lambda: world.order(order_id)["ERP_Sales_Order__c"] is not None)
    (erp_order,) = world.erp_orders(number)
    assert world.order(order_id)["ERP_Sales_Order__c"] == created["SalesOrder"]
    assert erp_order["SalesOrder"] == created["SalesOrder"]


def test_a_won_opportunity_becomes_an_order_that_starts_the_process(
    sandbox: Sandboxes, tmp_path: Path
) -> None:
    settings = FAST.model_copy(update={"from_opportunities": True})
    with order_world(sandbox, tmp_path / "opportunities", settings) as world:
        account, customer = world.linked_accounts()[6]
        world.set_credit_limit(customer, Decimal("100000000"))
        product = world.products()[3]
        (pricebook,) = world.query("Pricebook2", ("Id",), compare("IsStandard", "=", True))
        opportunity = world.crm("POST", "sobjects/Opportunity", {
            "Name": "Pumps for the new plant", "AccountId": account, "StageName": "Prospecting",
            "CloseDate": "2026-12-20", "Pricebook2Id": pricebook["Id"], "CurrencyIsoCode": "EUR",
        })["id"]
        price = world.price(customer, "EUR", product.material, Decimal(4))
        world.crm("POST", "sobjects/OpportunityLineItem", {
            "OpportunityId": opportunity, "PricebookEntryId": product.entry_id,
            "Quantity": 4, "UnitPrice": float(price),
        })
        world.service.run_once()  # not won yet: no order
        assert world.query("Order", ("Id",), compare("OpportunityId", "=", opportunity)) == []

        world.crm("PATCH", f"sobjects/Opportunity/{opportunity}", {"StageName": "Closed Won"})
        world.pump(lambda: bool(
            world.query("Order", ("Id",), compare("OpportunityId", "=", opportunity))
        ))
        (order,) = world.query("Order", ("Id",), compare("OpportunityId", "=", opportunity))
        world.pump(lambda: world.order(order["Id"])["ERP_Sales_Order__c"] is not None)
        (erp_order,) = world.erp_orders(world.order(order["Id"])["OrderNumber"])
        (item,) = erp_order_items(world, erp_order["SalesOrder"])
        assert (item["Material"], Decimal(item["RequestedQuantity"])) == (
            product.material, Decimal(4)
        )


def erp_order_items(world: OrderWorld, sales_order: str) -> list[dict[str, object]]:
    found = world.systems.run(lambda: world.systems.erp.get(sales_order))
    assert found is not None
    items: list[dict[str, object]] = found["to_Item"]
    return items


def test_a_credit_block_released_in_the_erp_resumes_without_a_retry(world: OrderWorld) -> None:
    account, customer = world.linked_accounts()[7]
    world.set_credit_limit(customer, Decimal(1))
    order_id = world.create_order(account, customer, [(world.products()[0], Decimal(1))])
    world.pump(lambda: bool(world.open_exceptions(order_id)))
    (parked,) = world.open_exceptions(order_id)
    sales_order = world.order(order_id)["ERP_Sales_Order__c"]

    world.sandbox.admin_post("erp", f"sales-orders/{sales_order}/release-credit", {})
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Released")
    assert world.systems.queue.get(parked.id).status == "resolved"
    world.advance_erp(5 * HOUR)
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Delivered")


def test_cancelling_after_delivery_is_refused_and_the_order_carries_on(world: OrderWorld) -> None:
    account, customer = world.linked_accounts()[8]
    world.set_credit_limit(customer, Decimal("100000000"))
    order_id = world.create_order(account, customer, [(world.products()[1], Decimal(1))])
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Open")
    world.advance_erp(5 * HOUR)
    world.pump(lambda: world.order(order_id)["ERP_Status__c"] == "Delivered")

    world.crm("PATCH", f"sobjects/Order/{order_id}", {"Status": "Cancelled"})
    world.pump(lambda: bool(world.open_exceptions(order_id)))
    (refused,) = world.open_exceptions(order_id)
    assert refused.reason == "cancel_refused"
    assert "already being delivered" in refused.message
    number = world.order(order_id)["OrderNumber"]
    assert len(world.erp_orders(number)) == 1
    world.advance_erp(3 * HOUR)
    world.advance_erp(PAYMENT_DUE)
    world.pump(lambda: world.outcome(order_id) == "SUCCESS")
    assert world.order(order_id)["ERP_Status__c"] == "Paid"


def test_a_retry_of_an_exception_not_open_is_refused(world: OrderWorld) -> None:
    with pytest.raises(WorkQueueError, match="no process exception 404"):
        retry_exception(world.systems.queue, world.url, 404)


@pytest.mark.services
def test_the_credit_block_round_on_postgresql(sandbox: Sandboxes, tmp_path: Path) -> None:
    with (
        throwaway_database("causeway_o2c") as url,
        order_world(sandbox, tmp_path / "pg", url=url) as world,
    ):
        account, customer = world.linked_accounts()[0]
        world.set_credit_limit(customer, Decimal(1))
        order_id = world.create_order(account, customer, [(world.products()[0], Decimal(2))])
        world.pump(lambda: bool(world.open_exceptions(order_id)))
        (parked,) = world.open_exceptions(order_id)
        assert parked.reason == "credit_block"
        world.set_credit_limit(customer, Decimal("100000000"))
        retry_exception(world.systems.queue, world.url, parked.id)
        # Released first (the ERP schedules delivery from the release), then time passes.
        world.pump(lambda: world.systems.queue.get(parked.id).status == "resolved")
        world.advance_erp(9 * HOUR)
        world.advance_erp(PAYMENT_DUE)
        world.pump(lambda: world.outcome(order_id) == "SUCCESS")
        assert world.order(order_id)["ERP_Status__c"] == "Paid"
        assert len(world.erp_orders(world.order(order_id)["OrderNumber"])) == 1


@pytest.mark.slow
def test_an_erp_outage_longer_than_a_steps_retries_is_waited_out_not_parked(
    world: OrderWorld,
) -> None:
    (account, customer) = world.linked_accounts()[0]
    world.set_credit_limit(customer, Decimal("100000000"))
    product = world.products()[0]
    order_id = world.create_order(account, customer, [(product, Decimal(1))], activate=False)
    # Longer than a step's own retries (0.25 + 0.5 s): the instance must wait on its
    # durable timer and try again, not hand the outage to an operator.
    world.sandbox.admin_post("erp", "faults/outage", {"seconds": 25})
    world.crm("PATCH", f"sobjects/Order/{order_id}", {"Status": "Activated"})
    deadline = time.monotonic() + 120
    while not world.order(order_id)["ERP_Sales_Order__c"]:
        assert time.monotonic() < deadline, world.systems.queue.find()
        # The milestone feed reads the ERP too: a failed round is tried again next round.
        with contextlib.suppress(ConnectorError):
            world.service.run_once()
        time.sleep(0.5)
    instance = f"order_to_cash:{order_id}"
    assert world.systems.queue.find(status=None, instance_id=instance) == []
    assert len(world.erp_orders(world.order(order_id)["OrderNumber"])) == 1
