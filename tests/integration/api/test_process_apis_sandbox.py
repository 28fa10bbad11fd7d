"""Quote validation and account 360 against the CRM and ERP sandboxes: a valid quote, a price
mismatch, blocked and unsynced customers, a credit limit exceeded, an unknown material, the
ERP's outage, an account's orders, invoices and payments, unknown keys and refused requests.

Customers are linked in the store as the sync links them (the cross-reference of a CRM
account and an ERP partner); each test works on its own customer, since the sandboxes are
shared by the module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from causeway.api.account_view import AccountService, AccountSettings
from causeway.api.app import create_app
from causeway.api.crm_account import CrmAccounts
from causeway.api.customer_directory import CustomerDirectory
from causeway.api.erp_reads import ErpReads
from causeway.api.quote_validation import QuoteValidator
from causeway.api.upstream import Upstream
from causeway.connectors.s4hana.odata import literal
from causeway.runtime.backends.sql import SqlBackbone
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedConfig
from causeway.sync.xref import new_canonical_id
from tests.support.sandboxes import Sandboxes, sandboxes
from tests.unit.api.conftest import bearer, get_token
from tests.unit.api.process_fakes import SECRETS, link, process_settings, store_engine

VALIDATE = "/v1/quotes/validate"
HOURS = 60


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    config = SeedConfig(accounts=30, products=5, overlap=1.0)
    with sandboxes(tmp_path_factory.mktemp("sandboxes"), config) as running:
        yield running


@dataclass
class Customer:
    """One company both sandboxes hold: its CRM account id, ERP number and canonical id."""

    account_id: str
    erp: str
    canonical: str


@dataclass
class Api:
    client: TestClient
    sandbox: Sandboxes
    engine: Engine
    validator: dict[str, str]
    reader: dict[str, str]
    pairs: list[tuple[str, str]]

    def customer(self, index: int, *, linked: bool = True) -> Customer:
        key = self.pairs[index][0]
        running = self.sandbox.running
        found = Customer(running.crm_seed_index[key], running.erp_seed_index[key],
                         new_canonical_id())
        if linked:
            link(self.engine, found.canonical, salesforce=found.account_id, s4hana=found.erp)
        return found

    def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(VALIDATE, json=body, headers=self.validator)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def account(self, key: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/v1/accounts/{key}", params=params, headers=self.reader)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def api(sandbox: Sandboxes, tmp_path: Path) -> Iterator[Api]:
    engine = store_engine(tmp_path)
    reads = ErpReads(sandbox.s4())
    crm = sandbox.salesforce()
    erp = Upstream("erp", timeout=2.0)
    directory = CustomerDirectory(engine)
    app = create_app(
        process_settings(), SqlBackbone(engine),
        quote_validator=QuoteValidator(reads, directory, erp=erp),
        accounts=AccountService(directory, reads, CrmAccounts(crm.client),
                                AccountSettings(scan_cap=50), erp=erp,
                                crm=Upstream("crm", timeout=2.0)),
    )
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(
                client, sandbox, engine,
                bearer(get_token(client, "validator", SECRETS["validator"])),
                bearer(get_token(client, "reader", SECRETS["reader"])),
                sorted(sandbox.universe.pairs()),
            )
            assert client.portal is not None
            client.portal.call(reads.aclose)  # on the loop their HTTP clients ran on
            client.portal.call(crm.aclose)
    finally:
        sandbox.set_faults("erp", FaultPlan())
        engine.dispose()


def erp_call(sandbox: Sandboxes, method: str, service: str, path: str,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One OData call to the ERP sandbox, as a clerk's change there would be."""
    async def call() -> dict[str, Any]:
        connector = sandbox.s4()
        try:
            response = await connector.client.request(method, service, path, json=body)
            return dict(response.json().get("d", {})) if response.content else {}
        finally:
            await connector.aclose()

    return asyncio.run(call())


def crm_order(sandbox: Sandboxes, account_id: str, status: str | None) -> str:
    """An order of the account in the CRM, with the ERP status the sync would have set."""
    async def call() -> str:
        connector = sandbox.salesforce()
        try:
            await connector.client.authenticate()
            body: dict[str, Any] = {"AccountId": account_id, "EffectiveDate": "2026-12-01",
                                    "Status": "Draft"}
            if status is not None:
                body["ERP_Status__c"] = status
            response = await connector.client.request(
                "POST", f"{connector.client.data_path}/sobjects/Order", json=body
            )
            return str(response.json()["id"])
        finally:
            await connector.aclose()

    return asyncio.run(call())


def sales_area(erp: str) -> str:
    keys = {"Customer": erp, "SalesOrganization": "1010", "DistributionChannel": "10",
            "Division": "00"}
    return "A_CustomerSalesArea(" + ",".join(f"{k}={literal(v)}" for k, v in keys.items()) + ")"


def lines(api: Api, *prices: str) -> list[dict[str, Any]]:
    products = api.sandbox.universe.products
    return [{"material": products[n].sku, "quantity": 1, "unit_price": price}
            for n, price in enumerate(prices)]


def test_a_quote_at_the_erps_prices_is_valid_and_a_wrong_price_is_named(api: Api) -> None:
    customer = api.customer(0)
    body = {"customer": {"salesforce_id": customer.account_id}, "lines": lines(api, "0.01", "0.01")}

    mismatched = api.validate(body)
    assert mismatched["valid"] is False
    assert [f["field"] for f in mismatched["findings"]] == ["lines.0.unit_price",
                                                             "lines.1.unit_price"]
    assert {f["code"] for f in mismatched["findings"]} == {"price-mismatch"}
    erp_prices = [f["erp_value"] for f in mismatched["findings"]]
    assert all(Decimal(price) > 0 for price in erp_prices)

    valid = api.validate({**body, "lines": lines(api, *erp_prices)})
    assert valid["valid"] is True, valid["findings"]
    assert valid["checks"] == {"customer": "passed", "prices": "passed", "credit": "passed"}
    assert valid["customer"]["erp_customer"] == customer.erp
    assert valid["customer"]["linked_by"] == "xref"
    assert valid["credit"]["status"] == "A"
    assert Decimal(valid["credit"]["limit"]) > 0
    assert Decimal(valid["net_amount"]) == sum(Decimal(price) for price in erp_prices)


def test_an_unsynced_crm_account_is_named(api: Api) -> None:
    customer = api.customer(1, linked=False)

    answer = api.validate({"customer": {"salesforce_id": customer.account_id},
                           "lines": lines(api, "1")})

    assert [(f["field"], f["code"]) for f in answer["findings"]] == [
        ("customer", "customer-not-synced")]


@pytest.mark.parametrize(
    ("patch", "erp_field"),
    [
        ("partner", "BusinessPartnerIsBlocked"),
        ("area", "A_CustomerSalesArea.OrderIsBlockedForCustomer"),
    ],
)
def test_a_blocked_customer_is_named_with_the_blocking_field(
    api: Api, patch: str, erp_field: str
) -> None:
    customer = api.customer(2 if patch == "partner" else 3)
    if patch == "partner":
        erp_call(api.sandbox, "PATCH", "API_BUSINESS_PARTNER",
                 f"A_BusinessPartner({literal(customer.erp)})", {"BusinessPartnerIsBlocked": True})
    else:
        erp_call(api.sandbox, "PATCH", "API_BUSINESS_PARTNER", sales_area(customer.erp),
                 {"OrderIsBlockedForCustomer": "01"})

    answer = api.validate({"customer": {"erp_customer": customer.erp}, "lines": lines(api, "1")})

    assert answer["valid"] is False
    [finding] = answer["findings"]
    assert (finding["field"], finding["code"]) == ("customer", "customer-blocked")
    assert finding["details"]["erp_field"] == erp_field


def test_a_quote_beyond_the_credit_limit_is_named_with_the_erps_figures(api: Api) -> None:
    customer = api.customer(4)
    erp_call(api.sandbox, "PATCH", "API_BUSINESS_PARTNER", sales_area(customer.erp),
             {"YY1_CreditLimitAmount": "1.000"})

    answer = api.validate({"customer": {"causeway_id": customer.canonical},
                           "lines": lines(api, "1")})

    assert [(f["field"], f["code"]) for f in answer["findings"]][-1] == (
        "customer", "credit-limit-exceeded")
    credit = answer["findings"][-1]
    assert Decimal(credit["details"]["credit_limit"]) == 1
    assert Decimal(credit["erp_value"]) <= 1  # the headroom
    assert answer["credit"]["status"] == "B"
    assert answer["checks"]["credit"] == "failed"


def test_an_unknown_material_is_named_and_the_rest_priced(api: Api) -> None:
    customer = api.customer(5)
    body_lines = [*lines(api, "0.01"), {"material": "NO-SUCH-MAT", "quantity": 1,
                                        "unit_price": "1"}]

    answer = api.validate({"customer": {"erp_customer": customer.erp}, "lines": body_lines})

    assert [(f["field"], f["code"]) for f in answer["findings"]] == [
        ("lines.1.material", "material-unknown"), ("lines.0.unit_price", "price-mismatch")]


def test_an_erp_outage_refuses_validation_and_leaves_account_360_partial(api: Api) -> None:
    customer = api.customer(6)
    api.sandbox.admin_post("erp", "faults/outage", {"seconds": 60})

    refused = api.client.post(
        VALIDATE, json={"customer": {"erp_customer": customer.erp}, "lines": lines(api, "1")},
        headers=api.validator,
    )
    partial = api.account(customer.account_id)

    assert refused.status_code == 503, refused.text
    assert refused.json()["type"] == "urn:causeway:problem:erp-unavailable"
    assert int(refused.headers["retry-after"]) >= 1
    assert partial["partial"] is True
    assert partial["erp"] is None
    assert partial["sources"][0]["status"] == "unreachable"
    assert partial["crm"]["account_id"] == customer.account_id


def test_account_360_shows_open_orders_invoices_and_payments(api: Api) -> None:
    customer = api.customer(7)
    cheapest = min(api.sandbox.universe.products, key=lambda p: p.list_price).sku

    def order() -> str:
        created = erp_call(api.sandbox, "POST", "API_SALES_ORDER_SRV", "A_SalesOrder", {
            "SoldToParty": customer.erp,
            "to_Item": [{"Material": cheapest, "RequestedQuantity": "1"}],
        })
        return str(created["SalesOrder"])

    paid = order()
    api.sandbox.admin_post("erp", "clock/advance", {"minutes": 7 * HOURS})
    api.sandbox.admin_post("erp", "clock/advance", {"minutes": 70 * 24 * HOURS})
    invoiced = order()
    api.sandbox.admin_post("erp", "clock/advance", {"minutes": 7 * HOURS})
    still_open = order()
    crm_open = crm_order(api.sandbox, customer.account_id, None)
    crm_delivering = crm_order(api.sandbox, customer.account_id, "In Delivery")
    crm_order(api.sandbox, customer.account_id, "Invoiced")

    by_crm = api.account(customer.account_id)
    by_erp = api.account(customer.erp, limit=1)

    erp = by_crm["erp"]
    assert by_crm["ids"] == {"salesforce": customer.account_id, "s4hana": customer.erp}
    assert by_crm["golden"]["version"] == 1
    assert [o["sales_order"] for o in erp["sales_orders"]["items"]] == [still_open]
    assert erp["sales_orders"]["totals"][0]["amount"] == erp["sales_orders"]["items"][0][
        "net_amount"]
    [open_invoice] = erp["open_invoices"]["items"]
    [payment] = erp["payments"]["items"]
    assert open_invoice["status"] in ("open", "overdue")
    assert payment["status"] == "paid"
    assert payment["paid_on"] is not None
    assert open_invoice["billing_document"] != payment["billing_document"]
    assert Decimal(erp["credit"]["exposure"]) > 0
    assert by_crm["crm"]["name"]
    crm_orders = by_crm["crm"]["open_orders"]
    assert {o["order_id"] for o in crm_orders["items"]} == {crm_open, crm_delivering}
    assert crm_orders["count"] == 2
    assert by_crm["sources"] == [{"system": "erp", "status": "ok", "reason": None},
                                 {"system": "crm", "status": "ok", "reason": None}]
    assert by_erp["causeway_id"] == customer.canonical
    assert len(by_erp["erp"]["sales_orders"]["items"]) == 1
    assert {paid, invoiced} - {still_open} == {paid, invoiced}


def test_unknown_keys_are_404_and_bad_requests_4xx(api: Api) -> None:
    unknown_erp = api.client.get("/v1/accounts/99999999", headers=api.reader)
    unknown_crm = api.client.get("/v1/accounts/001000000000000AAA", headers=api.reader)
    malformed = api.client.get("/v1/accounts/not%20a%20key", headers=api.reader)
    anonymous = api.client.get("/v1/accounts/99999999")
    unknown_field = api.client.post(
        VALIDATE, json={"customer": {"erp_customer": "10000002"}, "lines": lines(api, "1"),
                        "discount": 5},
        headers=api.validator,
    )

    assert unknown_erp.status_code == 404, unknown_erp.text
    assert unknown_erp.json()["type"] == "urn:causeway:problem:account-not-found"
    assert unknown_crm.status_code == 404, unknown_crm.text
    assert malformed.status_code == 422
    assert anonymous.status_code == 401
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["field"] == "discount"
