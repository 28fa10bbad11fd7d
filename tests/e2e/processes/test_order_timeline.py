"""An order's timeline: every step against the CRM and the ERP, found by either number."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causeway.cli import app
from causeway.observe.activity import ActivityLog
from causeway.sandbox.seed import SeedConfig
from tests.integration.processes.order_world import OrderWorld, order_world
from tests.support.sandboxes import Sandboxes, sandboxes


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OrderWorld]:
    sandbox: Sandboxes
    with (
        sandboxes(tmp_path / "sandboxes", SeedConfig(accounts=12, products=4)) as sandbox,
        order_world(sandbox, tmp_path) as running,
    ):
        yield running


def test_the_timeline_is_found_by_the_crm_number_and_by_the_erp_number(
    world: OrderWorld,
) -> None:
    (account, customer) = world.linked_accounts()[0]
    world.set_credit_limit(customer, Decimal("100000000"))
    product = world.products()[0]
    order_id = world.create_order(account, customer, [(product, Decimal(2))])
    world.pump(lambda: bool(world.order(order_id)["ERP_Sales_Order__c"]))
    crm_number = world.order(order_id)["OrderNumber"]
    erp_number = world.order(order_id)["ERP_Sales_Order__c"]

    log = ActivityLog(world.database)
    (by_crm,) = log.find(crm_number)
    (by_erp,) = log.find(erp_number)
    assert by_crm.instance_id == by_erp.instance_id == f"order_to_cash:{order_id}"
    steps = [(event.name, event.system) for event in by_crm.events if event.kind == "step"]
    assert ("prepare", "salesforce") in steps
    assert ("create erp order", "s4hana") in steps
    assert ("stamp order", "salesforce") in steps
    assert by_crm.keys["crm_order_id"] == [order_id]
    assert all(event.status == "done" for event in by_crm.events if event.kind == "step")

    shown = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["trace", erp_number, "--url", world.url])
    assert shown.exit_code == 0, shown.output
    assert "create erp order" in shown.output
    assert crm_number in shown.output
