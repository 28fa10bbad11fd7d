"""`causeway orders run` from a project file: killed while an order waits for its
milestones, started again, it finishes the order without a second ERP order, and it stops
promptly on SIGTERM although other instances wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import yaml

from causeway.demo import write_project_file
from causeway.sandbox.seed import SeedConfig
from tests.integration.processes.order_world import FAST, HOUR, OrderWorld, order_world
from tests.support.sandboxes import sandboxes

SOURCE = Path(__file__).resolve().parents[3]


def _host(project: Path, settings: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from causeway.cli import main; main()",
               "orders", "run", "-p", str(project), "--settings", str(settings)]
    path = os.pathsep.join([str(SOURCE / "src"), str(SOURCE), os.environ.get("PYTHONPATH", "")])
    with log.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": path})


def _until(condition: Callable[[], bool], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached; host log:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def test_the_host_resumes_after_a_kill_and_stops_on_sigterm(tmp_path: Path) -> None:
    with sandboxes(tmp_path / "sandboxes", SeedConfig(accounts=20, products=5)) as boxes:
        project = write_project_file(boxes.running, tmp_path)
        settings = tmp_path / "orders.yaml"
        settings.write_text(yaml.safe_dump(FAST.model_dump(mode="json")))
        url = str(yaml.safe_load(project.read_text())["database"])
        log = tmp_path / "host.log"
        with order_world(boxes, tmp_path, url=url, hosted=False) as world:
            account, customer = world.linked_accounts()[0]
            world.set_credit_limit(customer, Decimal("100000000"))
            waiting_account, waiting_customer = world.linked_accounts()[1]
            world.set_credit_limit(waiting_customer, Decimal(1))
            order = world.create_order(account, customer, [(world.products()[0], Decimal(2))])
            blocked = world.create_order(
                waiting_account, waiting_customer, [(world.products()[1], Decimal(1))]
            )
            host = _host(project, settings, log)
            try:
                _until(lambda: _status(world, order) == "Open", log)
                _until(lambda: _status(world, blocked) == "Credit Block", log)
                host.send_signal(signal.SIGKILL)
                host.wait(10)

                world.advance_erp(9 * HOUR)  # delivered and invoiced while no host runs
                host = _host(project, settings, log)
                _until(lambda: _status(world, order) == "Invoiced", log)
                host.send_signal(signal.SIGTERM)  # the credit-blocked instance still waits
                assert host.wait(20) == 0
            finally:
                if host.poll() is None:
                    host.kill()
            number = world.order(order)["OrderNumber"]
            (erp_order,) = world.erp_orders(number)
            assert world.order(order)["ERP_Sales_Order__c"] == erp_order["SalesOrder"]
            invoices = world.query("Invoice__c", ("Id",), None)
            assert len(invoices) == 1


def _status(world: OrderWorld, order_id: str) -> str | None:
    value = world.order(order_id)["ERP_Status__c"]
    return None if value is None else str(value)
