"""Account 360 over a fake ERP and CRM and a real SQLite store: the three kinds of key, the
golden record, paged lists with totals, partial answers, 404, 503 and the 4xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from causeway.api.account_view import AccountService, AccountSettings
from causeway.api.app import create_app
from causeway.api.crm_account import CrmAccount, CrmOrder
from causeway.api.customer_directory import CustomerDirectory, key_kind
from causeway.api.upstream import Upstream
from causeway.connectors.errors import RetryableError
from causeway.runtime.backends.sql import SqlBackbone

from .conftest import bearer, get_token
from .process_fakes import (
    ACCOUNT_ID,
    CANONICAL,
    SECRETS,
    FakeCrm,
    FakeErp,
    erp_customer,
    invoice,
    link,
    order,
    process_settings,
    store_engine,
)

TODAY = datetime.now(UTC).date()


@dataclass
class Api:
    client: TestClient
    erp: FakeErp
    crm: FakeCrm
    engine: Engine
    headers: dict[str, str]


def fake_erp() -> FakeErp:
    return FakeErp(
        customers={"10000002": erp_customer(area_billing_block="02")},
        orders=[order("5000001", "100.00"), order("5000002", "50.50"),
                order("5000003", "20.00", "USD")],
        invoices=[
            invoice("9000001", "119.00", TODAY - timedelta(days=3)),
            invoice("9000002", "10.00", TODAY + timedelta(days=27)),
            invoice("9000003", "238.00", TODAY - timedelta(days=40), TODAY - timedelta(days=9)),
        ],
    )


def fake_crm() -> FakeCrm:
    account = CrmAccount(ACCOUNT_ID, "Acme GmbH", "10000002", False)
    orders = [CrmOrder("801000000000001AAA", "00000101", "Draft", date(2026, 12, 2),
                       Decimal("75.00"), "EUR", None, None)]
    return FakeCrm(accounts={ACCOUNT_ID: account}, orders=orders)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    engine = store_engine(tmp_path)
    erp, crm = fake_erp(), fake_crm()
    service = AccountService(
        CustomerDirectory(engine), erp, crm, AccountSettings(scan_cap=100),
        erp=Upstream("erp", timeout=0.2, breaker_threshold=100),
        crm=Upstream("crm", timeout=0.2, breaker_threshold=100),
    )
    app = create_app(process_settings(), SqlBackbone(engine), accounts=service)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = bearer(get_token(client, "reader", SECRETS["reader"]))
        yield Api(client, erp, crm, engine, headers)
    engine.dispose()


def read(api: Api, key: str, **params: Any) -> dict[str, Any]:
    response = api.client.get(f"/v1/accounts/{key}", params=params, headers=api.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_keys_are_told_apart_by_shape() -> None:
    assert key_kind("10000002") == "erp"
    assert key_kind(ACCOUNT_ID) == "salesforce"
    assert key_kind(ACCOUNT_ID[:15]) == "salesforce"
    assert key_kind(CANONICAL) == "causeway"
    assert key_kind(CANONICAL.upper()) == "causeway"
    assert key_kind("abc") is None


@pytest.mark.parametrize("key", ["10000002", ACCOUNT_ID, CANONICAL])
def test_a_linked_customer_reads_the_same_by_any_of_its_keys(api: Api, key: str) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")

    answer = read(api, key)

    assert answer["key"] == key
    assert answer["causeway_id"] == CANONICAL
    assert answer["ids"] == {"salesforce": ACCOUNT_ID, "s4hana": "10000002"}
    assert answer["golden"]["data"]["party"]["name"] == "Acme GmbH"
    assert answer["golden"]["version"] == 1
    assert answer["erp"]["customer"] == "10000002"
    assert answer["crm"]["account_id"] == ACCOUNT_ID
    assert answer["sources"] == [{"system": "erp", "status": "ok", "reason": None},
                                 {"system": "crm", "status": "ok", "reason": None}]
    assert answer["partial"] is False


def test_the_erp_part_lists_open_orders_invoices_and_payments_with_totals(api: Api) -> None:
    erp = read(api, "10000002")["erp"]

    assert erp["blocked"] is False
    assert erp["blocks"] == [{"erp_field": "A_CustomerSalesArea.BillingIsBlockedForCustomer",
                              "value": "02"}]
    assert erp["credit"] == {"limit": "10000", "exposure": "2500", "headroom": "7500",
                             "currency": "EUR"}
    orders = erp["sales_orders"]
    assert [o["sales_order"] for o in orders["items"]] == ["5000001", "5000002", "5000003"]
    assert orders["totals"] == [{"currency": "EUR", "amount": "150.50", "overdue": None},
                                {"currency": "USD", "amount": "20.00", "overdue": None}]
    assert (orders["count"], orders["complete"], orders["next_offset"]) == (3, True, None)
    invoices = erp["open_invoices"]
    assert [(i["billing_document"], i["status"]) for i in invoices["items"]] == [
        ("9000001", "overdue"), ("9000002", "open")]
    assert invoices["totals"] == [{"currency": "EUR", "amount": "129.00", "overdue": "119.00"}]
    payments = erp["payments"]
    assert [(p["billing_document"], p["status"]) for p in payments["items"]] == [
        ("9000003", "paid")]
    assert payments["items"][0]["paid_on"] == (TODAY - timedelta(days=9)).isoformat()


def test_lists_are_paged_and_totals_cover_every_document(api: Api) -> None:
    first = read(api, "10000002", limit=2)["erp"]["sales_orders"]
    second = read(api, "10000002", limit=2, offset=first["next_offset"])["erp"]["sales_orders"]

    assert [o["sales_order"] for o in first["items"]] == ["5000001", "5000002"]
    assert first["next_offset"] == 2
    assert [o["sales_order"] for o in second["items"]] == ["5000003"]
    assert second["next_offset"] is None
    assert first["totals"] == second["totals"]


def test_more_documents_than_the_scan_cap_say_the_list_is_incomplete(api: Api) -> None:
    api.erp.orders = [order(f"5{n:06d}", "1.00") for n in range(150)]

    orders = read(api, "10000002", limit=5)["erp"]["sales_orders"]

    assert (orders["count"], orders["complete"]) == (100, False)
    assert orders["totals"] == [{"currency": "EUR", "amount": "100.00", "overdue": None}]


def test_an_erp_customer_causeway_has_not_linked_yet_is_read_from_the_erp(api: Api) -> None:
    answer = read(api, "10000002")

    assert (answer["causeway_id"], answer["golden"], answer["crm"]) == (None, None, None)
    assert answer["erp"]["customer"] == "10000002"
    assert answer["sources"][1] == {"system": "crm", "status": "not-linked",
                                    "reason": "the customer has no CRM account yet"}
    assert answer["partial"] is False


def test_the_crm_part_lists_unfinished_orders(api: Api) -> None:
    crm = read(api, ACCOUNT_ID)["crm"]

    assert crm["name"] == "Acme GmbH"
    assert crm["open_orders"]["items"][0]["order_number"] == "00000101"
    assert crm["open_orders"]["totals"] == [{"currency": "EUR", "amount": "75.00",
                                             "overdue": None}]


@pytest.mark.parametrize("key", ["99999999", "001000000000009AAA", CANONICAL])
def test_an_unknown_key_is_a_404_problem(api: Api, key: str) -> None:
    response = api.client.get(f"/v1/accounts/{key}", headers=api.headers)

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:causeway:problem:account-not-found"
    assert problem["key"] == key


def test_an_erp_outage_leaves_a_partial_answer_naming_it(api: Api) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")
    api.erp.error = RetryableError("Service Unavailable", system="s4hana", status=503)

    answer = read(api, ACCOUNT_ID)

    assert answer["partial"] is True
    assert answer["erp"] is None
    assert answer["sources"][0] == {"system": "erp", "status": "unreachable",
                                    "reason": "erp-unavailable"}
    assert answer["crm"]["account_id"] == ACCOUNT_ID
    assert answer["golden"] is not None


def test_a_slow_crm_is_cut_at_its_deadline(api: Api) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")

    async def slow(account_id: str) -> CrmAccount | None:
        import asyncio

        await asyncio.sleep(5)
        return None

    api.crm.account = slow  # type: ignore[method-assign]
    answer = read(api, "10000002")

    assert answer["sources"][1] == {"system": "crm", "status": "unreachable",
                                    "reason": "crm-timeout"}
    assert answer["erp"] is not None


def test_an_unlinked_key_whose_system_is_down_is_a_503(api: Api) -> None:
    api.erp.error = RetryableError("Service Unavailable", system="s4hana", status=503)

    response = api.client.get("/v1/accounts/10000002", headers=api.headers)

    assert response.status_code == 503
    assert response.json()["reason"] == "erp-unavailable"
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    ("path", "params", "where"),
    [
        ("/v1/accounts/abc", {}, "path.key"),
        ("/v1/accounts/" + "A" * 11, {}, "path.key"),
        ("/v1/accounts/" + quote("1' or '1'='1", safe=""), {}, "path.key"),
        ("/v1/accounts/10000002", {"limit": "0"}, "query.limit"),
        ("/v1/accounts/10000002", {"limit": "201"}, "query.limit"),
        ("/v1/accounts/10000002", {"offset": "-1"}, "query.offset"),
        ("/v1/accounts/10000002", {"expand": "all"}, "query.expand"),
    ],
)
def test_bad_keys_and_query_parameters_are_named(
    api: Api, path: str, params: dict[str, str], where: str
) -> None:
    response = api.client.get(path, params=params, headers=api.headers)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert where in [f"{e['location']}.{e['field']}" for e in problem["errors"]]
    assert api.erp.calls == []


def test_tokens_without_the_scope_or_none_at_all_are_refused(api: Api) -> None:
    validator = bearer(get_token(api.client, "validator", SECRETS["validator"]))

    forbidden = api.client.get("/v1/accounts/10000002", headers=validator)
    anonymous = api.client.get("/v1/accounts/10000002")

    assert forbidden.status_code == 403
    assert forbidden.json()["required_scope"] == "accounts:read"
    assert anonymous.status_code == 401
    assert api.erp.calls == []


def test_every_process_route_declares_its_scope(tmp_path: Path) -> None:
    engine = store_engine(tmp_path)
    directory = CustomerDirectory(engine)
    from causeway.api.quote_validation import QuoteValidator

    app = create_app(
        process_settings(), SqlBackbone(engine),
        quote_validator=QuoteValidator(FakeErp(), directory),
        accounts=AccountService(directory, FakeErp()),
    )
    paths = app.openapi()["paths"]
    scopes = {
        (path, method): [s for entry in op.get("security", []) for s in entry.get("oauth2", [])]
        for path, ops in paths.items() for method, op in ops.items()
        if path.startswith(("/v1/quotes", "/v1/accounts"))
    }
    assert scopes == {("/v1/quotes/validate", "post"): ["quotes:validate"],
                      ("/v1/accounts/{key}", "get"): ["accounts:read"]}
    assert "503" in paths["/v1/accounts/{key}"]["get"]["responses"]
    assert "404" in paths["/v1/accounts/{key}"]["get"]["responses"]
    engine.dispose()


segments = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=40),
    st.sampled_from(["10000002", ACCOUNT_ID, CANONICAL, "99999999"]),
).filter(lambda text: text not in ("", ".", ".."))
queries = st.dictionaries(
    st.sampled_from(["limit", "offset", "zzz"]),
    st.text(max_size=12) | st.integers(min_value=-(2**70), max_value=2**70).map(str),
    max_size=3,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=segments, query=queries)
def test_no_input_gets_a_server_error(api: Api, segment: str, query: dict[str, str]) -> None:
    response = api.client.get(
        f"/v1/accounts/{quote(segment, safe='')}", params=query, headers=api.headers
    )
    assert response.status_code in (200, 404, 422), (segment, query, response.text)


def test_an_erp_number_unlike_its_partner_number_still_finds_the_link(api: Api) -> None:
    api.erp.customers = {"C100": erp_customer("C100", business_partner="10000002")}
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")

    answer = read(api, "C100")

    assert answer["causeway_id"] == CANONICAL
    assert answer["erp"]["customer"] == "C100"
    assert answer["crm"]["account_id"] == ACCOUNT_ID


def test_a_merged_customer_answers_as_its_survivor(api: Api) -> None:
    from causeway.sync.golden import Golden, GoldenStore

    merged = "11111111-2222-4333-8444-555555555555"
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")
    with api.engine.begin() as connection:
        GoldenStore(connection).save(Golden("customer", merged, {}, {}, state="merged",
                                            merged_into=CANONICAL))

    answer = read(api, merged)

    assert answer["causeway_id"] == CANONICAL
    assert answer["ids"] == {"salesforce": ACCOUNT_ID, "s4hana": "10000002"}
