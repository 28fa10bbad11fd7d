"""A day of orders through to paid: four customers in good standing and one over its credit
limit, worked by an operator through `causeway orders`, the ERP clock moved on to delivery,
billing and payment, and the CRM proven to match the ERP by reconciliation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causeway.cli import app
from causeway.connectors.salesforce.soql import compare
from causeway.processes.order_reconcile import reconcile_orders
from causeway.sandbox.seed import SeedConfig
from tests.integration.processes.order_world import DAY, HOUR, OrderWorld, order_world
from tests.support.sandboxes import Sandboxes, sandboxes

LIMITLESS = Decimal("100000000")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OrderWorld]:
    sandbox: Sandboxes
    with (
        sandboxes(tmp_path / "sandboxes", SeedConfig(accounts=30, products=8)) as sandbox,
        order_world(sandbox, tmp_path) as running,
    ):
        yield running


def test_orders_reach_paid_and_the_crm_matches_the_erp(world: OrderWorld) -> None:
    cli = CliRunner()
    accounts = world.linked_accounts()[:5]
    products = world.products()
    for _, customer in accounts[:4]:
        world.set_credit_limit(customer, LIMITLESS)
    blocked_account, blocked_customer = accounts[4]
    world.set_credit_limit(blocked_customer, Decimal(1))
    orders = [
        world.create_order(account, customer, [
            (products[index % len(products)], Decimal(index + 1)),
            (products[(index + 3) % len(products)], Decimal(2)),
        ])
        for index, (account, customer) in enumerate(accounts[:4])
    ]
    blocked = world.create_order(blocked_account, blocked_customer, [(products[0], Decimal(5))])
    orders.append(blocked)

    world.pump(lambda: all(world.order(order)["ERP_Sales_Order__c"] for order in orders))
    world.pump(lambda: bool(world.open_exceptions(blocked)))
    listed = cli.invoke(app, ["orders", "exceptions", "list", "--json", "--url", world.url])
    assert listed.exit_code == 0, listed.output
    (row,) = [json.loads(line) for line in listed.output.splitlines()]
    blocked_number = world.order(blocked)["OrderNumber"]
    assert (row["reason"], row["crm_order_id"], row["crm_order_number"]) == (
        "credit_block", blocked, blocked_number
    )
    assert row["erp_document"] == world.order(blocked)["ERP_Sales_Order__c"]

    world.set_credit_limit(blocked_customer, LIMITLESS)
    retried = cli.invoke(app, ["orders", "retry", "--reason", "credit_block", "--url", world.url])
    assert retried.exit_code == 0, retried.output
    assert "1 retried" in retried.output
    world.pump(lambda: not world.open_exceptions(blocked)
               and world.order(blocked)["ERP_Status__c"] == "Open")

    for minutes in (5 * HOUR, 3 * HOUR, 95 * DAY):
        world.advance_erp(minutes)
    world.pump(lambda: all(world.outcome(order) == "SUCCESS" for order in orders))

    for order in orders:
        assert world.engine.result("order_to_cash", order)["outcome"] == "completed"
        assert len(world.erp_orders(world.order(order)["OrderNumber"])) == 1
    report = reconcile_orders(world.systems, orders)
    assert report.differences == []
    assert (report.orders, report.invoices, report.payments) == (5, 5, 5)
    status = cli.invoke(app, ["orders", "status", blocked, "--url", world.url])
    assert status.exit_code == 0, status.output
    assert "SUCCESS" in status.output
    assert "credit_block resolved" in status.output

    # Reconciliation is no rubber stamp: an invoice changed by hand in the CRM shows.
    sales_order = world.order(orders[0])["ERP_Sales_Order__c"]
    (invoice,) = world.query("Invoice__c", ("Id", "ERP_Billing_Document__c"),
                             compare("Order__c", "=", orders[0]))
    world.crm("PATCH", f"sobjects/Invoice__c/{invoice['Id']}", {"Amount__c": 1.0})
    (difference,) = reconcile_orders(world.systems, orders).differences
    assert "Amount__c is 1.0" in difference
    assert invoice["ERP_Billing_Document__c"] in difference
    assert sales_order is not None
