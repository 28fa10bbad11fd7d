"""Service to resolution end to end: a CRM return Case becomes an ERP return and credit memo
that show on the Case; an invalid return waits with its reason, is fixed, and resumes with
exactly one ERP return. Both sandboxes, the durable engine on SQLite, the pollers and the
operator commands."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from causeway.cli import app as cli
from causeway.connectors.s4hana.odata import compare
from causeway.connectors.salesforce import soql
from causeway.connectors.salesforce.soql import Query
from causeway.observe.activity import ActivityLog
from causeway.processes import returns as _definitions  # noqa: F401 - registers the process
from causeway.processes.engine import ProcessEngine
from causeway.processes.returns_poller import ReturnsPoller, waiting_returns
from causeway.processes.returns_systems import ReturnSettings, ReturnSystems, install
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedConfig
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.xref import Xref, new_canonical_id
from tests.support.sandboxes import Sandboxes, sandboxes

DAY = 24 * 60
SOLD_TO = "10000001"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    folder = tmp_path_factory.mktemp("sandboxes")
    with sandboxes(folder, SeedConfig(accounts=6, products=3, contacts_per_account=0)) as s:
        yield s


@pytest.fixture
def world(sandbox: Sandboxes, tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'causeway.sqlite'}"
    database = make_engine(url)
    upgrade(database)
    systems = ReturnSystems(
        database, sandbox.salesforce_settings(), sandbox.s4_settings(),
        ReturnSettings(recheck_s=600, follow_s=1.0, settle_s=0, poll_interval_s=0.2),
    )
    install(systems)
    engine = ProcessEngine(url)
    engine.launch()
    scenario = World(sandbox, systems, engine, database, url)
    try:
        yield scenario
    finally:
        scenario.engine.shutdown()
        install(None)
        systems.close()
        database.dispose()


class World:
    """The systems of one scenario and the moves a test makes in them."""

    def __init__(
        self, sandbox: Sandboxes, systems: ReturnSystems, engine: ProcessEngine,
        database: Engine, url: str,
    ) -> None:
        self.sandbox, self.systems, self.engine = sandbox, systems, engine
        self.database, self.url = database, url
        self.poller = ReturnsPoller(engine, systems)
        self.material = sandbox.universe.products[0].sku

    def crm(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        client = self.systems.salesforce

        async def send() -> Any:
            response = await client.request(method, f"{client.data_path}{path}", json=body)
            return response.json() if response.content else None

        return self.systems.run(send)

    def soql(self, text: str) -> list[dict[str, Any]]:
        client = self.systems.salesforce

        async def collect() -> list[dict[str, Any]]:
            return [row async for page in client.query_pages(text) for row in page]

        return self.systems.run(collect)

    def erp_get(self, service: str, path: str, params: dict[str, str]) -> Any:
        return self.systems.run(
            lambda: self.systems.s4.request("GET", service, path, params=params)
        ).json()["d"]

    def link_customer_and_product(self) -> str:
        """Link the first CRM account to ERP customer SOLD_TO and the first product to its
        material in the xref store, as the master-data sync would have; returns the account."""
        account = self.soql("SELECT Id FROM Account ORDER BY Id LIMIT 1")[0]["Id"]
        product = self.product()
        with self.database.begin() as connection:
            xref = Xref(connection)
            customer, item = new_canonical_id(), new_canonical_id()
            if xref.canonical_id("customer", "salesforce", account) is None:
                xref.link("customer", customer, "salesforce", account)
                xref.link("customer", customer, "s4hana", SOLD_TO)
            if xref.canonical_id("product", "salesforce", product) is None:
                xref.link("product", item, "salesforce", product)
                xref.link("product", item, "s4hana", self.material)
        return str(account)

    def billed_order(self, account: str, quantity: str) -> str:
        """An ERP sales order, delivered and invoiced, and its CRM order; returns the CRM id."""
        created = self.systems.run(lambda: self.systems.s4.request(
            "POST", "API_SALES_ORDER_SRV", "A_SalesOrder", json={
                "SoldToParty": SOLD_TO,
                "to_Item": [{"Material": self.material, "RequestedQuantity": quantity}],
            }))
        number = created.json()["d"]["SalesOrder"]
        self.sandbox.admin_post("erp", "clock/advance", {"minutes": DAY})
        order = self.crm("POST", "/sobjects/Order", {
            "AccountId": account, "EffectiveDate": date.today().isoformat(),
            "Status": "Draft", "ERP_Sales_Order__c": number,
        })
        return str(order["id"])

    def return_case(self, account: str, order: str, quantity: str) -> tuple[str, str]:
        """A Case marked as a return of `quantity` of the product; (id, case number)."""
        product = self.product()
        created = self.crm("POST", "/sobjects/Case", {
            "AccountId": account, "Origin": "Web", "Type": "Return", "Subject": "Return",
            "Order__c": order, "Return_Product__c": product,
            "Return_Quantity__c": float(quantity), "Return_Reason__c": "Damaged in Transit",
        })
        case = self.case(created["id"])
        return str(created["id"]), str(case["CaseNumber"])

    def product(self) -> str:
        query = Query("Product2", ("Id",), where=soql.compare("ProductCode", "=", self.material))
        return str(self.soql(query.render())[0]["Id"])

    def case(self, case_id: str) -> dict[str, Any]:
        fields = ("CaseNumber", "Status", "ERP_Return_Order__c", "Return_Status__c",
                  "Return_Status_Detail__c", "Credit_Memo__c", "Credit_Amount__c")
        return self.soql(Query("Case", fields, where=soql.compare("Id", "=", case_id)).render())[0]

    def erp_returns(self, reference: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.erp_get(
            "API_CUSTOMER_RETURN_SRV", "A_CustomerReturn",
            {"$filter": compare("PurchaseOrderByCustomer", "eq", reference).text},
        )["results"]
        return rows


def eventually(check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """The first truthy answer of `check`, polled; fails with the last answer."""
    deadline = time.monotonic() + timeout_s
    answer = check()
    while not answer and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = check()
    assert answer, answer
    return answer


def test_a_return_case_is_credited_and_the_case_shows_it(world: World) -> None:
    account = world.link_customer_and_product()
    order = world.billed_order(account, "4")
    case_id, number = world.return_case(account, order, "3")

    assert world.poller.poll_cases() >= 1
    world.engine.start("returns", case_id, case_id)  # a redelivered trigger: same instance
    stamped = eventually(lambda: (c := world.case(case_id))["ERP_Return_Order__c"] and c)
    assert stamped["Return_Status__c"] == "Return Order Created"
    [erp_return] = world.erp_returns(number)
    assert erp_return["CustomerReturn"] == stamped["ERP_Return_Order__c"]
    assert erp_return["SDDocumentReason"] == "102"

    world.sandbox.admin_post("erp", "clock/advance", {"minutes": 3 * DAY})
    world.poller.poll_returns()
    outcome = world.engine.result("returns", case_id)
    closed = world.case(case_id)
    assert closed["Return_Status__c"] == "Credited"
    assert closed["Status"] == "Closed"
    assert closed["Credit_Memo__c"] == outcome["credit_memo"]
    memo = world.erp_get("API_BILLING_DOCUMENT_SRV",
                         f"A_BillingDocument('{outcome['credit_memo']}')", {})
    assert memo["BillingDocumentType"] == "G2"
    assert Decimal(str(closed["Credit_Amount__c"])) == Decimal(memo["TotalNetAmount"])
    assert Decimal(memo["TotalNetAmount"]) == Decimal(erp_return["TotalNetAmount"]) > 0

    [timeline] = ActivityLog(world.database).find(number)
    milestones = [e.name for e in timeline.events if e.kind == "milestone"]
    assert milestones == ["ERP return created", "goods received", "credited"]
    assert ActivityLog(world.database).find(outcome["credit_memo"])[0].instance_id == (
        f"returns:{case_id}"
    )
    traced = CliRunner().invoke(cli, ["trace", number, "--url", world.url, "--json"])
    assert traced.exit_code == 0, traced.output
    assert "create customer return" in traced.output


def test_an_invalid_return_waits_with_its_reason_and_resumes_once_fixed(world: World) -> None:
    account = world.link_customer_and_product()
    order = world.billed_order(account, "2")
    case_id, number = world.return_case(account, order, "5")  # only 2 were billed

    world.poller.poll_cases()
    waiting = eventually(lambda: (c := world.case(case_id))["Return_Status__c"] and c)
    assert waiting["Return_Status__c"] == "Needs Attention"
    assert waiting["Return_Status_Detail__c"].startswith("Return_Quantity__c:")
    assert "exceeds billed quantity 2" in waiting["Return_Status_Detail__c"]
    assert world.erp_returns(number) == []
    assert [w.case_number for w in waiting_returns(world.database)] == [number]
    listed = CliRunner().invoke(cli, ["returns", "waiting", "--url", world.url])
    assert listed.exit_code == 0, listed.output
    assert number in listed.output
    assert "1 waiting" in listed.output

    world.crm("PATCH", f"/sobjects/Case/{case_id}", {"Return_Quantity__c": 2})
    retried = CliRunner().invoke(cli, ["returns", "retry", number, "--url", world.url])
    assert retried.exit_code == 0, retried.output
    fixed = eventually(lambda: (c := world.case(case_id))["ERP_Return_Order__c"] and c)
    assert fixed["Return_Status__c"] == "Return Order Created"
    world.crm("PATCH", f"/sobjects/Case/{case_id}", {"Subject": "Return (fixed)"})
    world.poller.poll_cases()  # the Case seen again: the same instance, no second return
    world.engine.signal("returns", case_id, "retry", "again")  # a stray retry changes nothing
    [erp_return] = world.erp_returns(number)
    assert Decimal(erp_return["TotalNetAmount"]) > 0
    assert waiting_returns(world.database) == []


def test_an_unknown_order_waits_naming_the_order(world: World) -> None:
    account = world.link_customer_and_product()
    order = world.crm("POST", "/sobjects/Order", {
        "AccountId": account, "EffectiveDate": date.today().isoformat(), "Status": "Draft",
        "ERP_Sales_Order__c": "9999999",
    })["id"]
    case_id, number = world.return_case(account, order, "1")
    world.poller.poll_cases()
    waiting = eventually(lambda: (c := world.case(case_id))["Return_Status__c"] and c)
    assert waiting["Return_Status__c"] == "Needs Attention"
    assert waiting["Return_Status_Detail__c"] == (
        f"Order__c: Case {number}: ERP sales order 9999999 does not exist"
    )
    [timeline] = ActivityLog(world.database).find(number)
    [milestone] = [e for e in timeline.events if e.kind == "milestone"]
    assert (milestone.name, milestone.status) == ("needs attention", "waiting")


def test_a_restart_while_following_resumes_without_a_second_return(world: World) -> None:
    account = world.link_customer_and_product()
    order = world.billed_order(account, "1")
    case_id, number = world.return_case(account, order, "1")
    world.poller.poll_cases()
    eventually(lambda: world.case(case_id)["ERP_Return_Order__c"])

    world.engine.shutdown()  # the worker stops while the instance follows its return
    world.sandbox.admin_post("erp", "clock/advance", {"minutes": 3 * DAY})
    world.engine = ProcessEngine(world.url)
    world.engine.launch()  # the instance is recovered and carries on from its last step

    outcome = world.engine.result("returns", case_id)
    assert world.case(case_id)["Credit_Memo__c"] == outcome["credit_memo"]
    assert len(world.erp_returns(number)) == 1
    [timeline] = ActivityLog(world.database).find(number)
    assert [e.name for e in timeline.events if e.name == "create ERP return"] == [
        "create ERP return"
    ]


def test_an_erp_down_past_the_retries_waits_and_resumes_on_retry(world: World) -> None:
    account = world.link_customer_and_product()
    order = world.billed_order(account, "1")
    case_id, number = world.return_case(account, order, "1")
    world.sandbox.set_faults("erp", FaultPlan(error_rates={503: 1.0}))
    try:
        world.poller.poll_cases()
        waiting = eventually(lambda: (c := world.case(case_id))["Return_Status__c"] and c, 60)
    finally:
        world.sandbox.set_faults("erp", FaultPlan())
    assert waiting["Return_Status__c"] == "Needs Attention"
    assert waiting["Return_Status_Detail__c"].startswith("ERP: s4hana unavailable:")
    world.engine.signal("returns", case_id, "retry", "ERP is back")
    eventually(lambda: world.case(case_id)["ERP_Return_Order__c"])
    assert len(world.erp_returns(number)) == 1
