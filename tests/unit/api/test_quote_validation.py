"""Quote validation over a fake ERP and a real SQLite store: who the customer is, blocks,
prices within tolerance, credit, refused lines, the ERP's outages, and the 4xx answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from causeway.api.app import create_app
from causeway.api.customer_directory import CustomerDirectory
from causeway.api.quote_validation import QuoteValidator
from causeway.api.quote_verdict import ValidationSettings
from causeway.api.upstream import Upstream
from causeway.connectors.errors import InvalidRecordError, RetryableError, ThrottledError
from causeway.runtime.backends.sql import SqlBackbone
from causeway.sync.xref import short_reference

from .conftest import bearer, get_token
from .process_fakes import (
    ACCOUNT_ID,
    CANONICAL,
    SECRETS,
    FakeErp,
    erp_customer,
    link,
    process_settings,
    store_engine,
)

PATH = "/v1/quotes/validate"
LINES = [{"material": "MAT-1", "quantity": 2, "unit_price": "100.00"},
         {"material": "MAT-2", "quantity": 1, "unit_price": "40.00"}]
BY_NUMBER = {"customer": {"erp_customer": "10000002"}, "lines": LINES}


@dataclass
class Api:
    client: TestClient
    erp: FakeErp
    engine: Engine
    headers: dict[str, str]
    erp_guard: Upstream


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    engine = store_engine(tmp_path)
    erp = FakeErp(customers={"10000002": erp_customer()},
                  prices={"MAT-1": Decimal("100.00"), "MAT-2": Decimal("40.00")})
    guard = Upstream("erp", timeout=0.2, breaker_threshold=3, breaker_cooldown=30)
    validator = QuoteValidator(
        erp, CustomerDirectory(engine),
        ValidationSettings(Decimal("1"), Decimal("0.01")), erp=guard,
    )
    app = create_app(process_settings(), SqlBackbone(engine), quote_validator=validator)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = bearer(get_token(client, "validator", SECRETS["validator"]))
        yield Api(client, erp, engine, headers, guard)
    engine.dispose()


def validate(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(PATH, json=body, headers=api.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def codes(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(finding["field"], finding["code"]) for finding in answer["findings"]]


def test_a_quote_the_erp_would_take_as_it_stands_is_valid(api: Api) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")

    answer = validate(api, BY_NUMBER)

    assert answer["valid"] is True, answer
    assert answer["findings"] == []
    assert answer["checks"] == {"customer": "passed", "prices": "passed", "credit": "passed"}
    assert answer["net_amount"] == "240.00"
    assert answer["customer"] == {
        "erp_customer": "10000002", "business_partner": "10000002",
        "salesforce_id": ACCOUNT_ID, "causeway_id": CANONICAL, "name": "ACME GMBH",
        "linked_by": "erp",
    }
    assert answer["credit"] == {"status": "A", "limit": "10000", "exposure": "2500",
                                "headroom": "7500", "currency": "EUR"}
    assert answer["tolerance"] == {"percent": "1", "amount": "0.01"}


def test_a_crm_account_is_found_through_the_cross_reference(api: Api) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID, s4hana="10000002")

    answer = validate(api, {**BY_NUMBER, "customer": {"salesforce_id": ACCOUNT_ID}})

    assert answer["valid"] is True
    assert answer["customer"]["linked_by"] == "xref"
    assert answer["customer"]["erp_customer"] == "10000002"


def test_a_partner_created_by_the_sync_is_found_by_its_reference_before_the_link(
    api: Api,
) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID)  # the ERP's answer not recorded yet
    api.erp.customers["10000002"] = erp_customer(reference=short_reference(CANONICAL))

    answer = validate(api, {**BY_NUMBER, "customer": {"causeway_id": CANONICAL}})

    assert answer["valid"] is True
    assert answer["customer"]["linked_by"] == "reference"


def test_an_unsynced_crm_account_is_named_without_asking_the_erp(api: Api) -> None:
    answer = validate(api, {**BY_NUMBER, "customer": {"salesforce_id": ACCOUNT_ID}})

    assert answer["valid"] is False
    assert codes(answer) == [("customer", "customer-not-synced")]
    assert answer["checks"] == {"customer": "failed", "prices": "skipped", "credit": "skipped"}
    assert api.erp.calls == []


def test_a_linked_account_without_an_erp_partner_is_not_synced(api: Api) -> None:
    link(api.engine, CANONICAL, salesforce=ACCOUNT_ID)

    answer = validate(api, {**BY_NUMBER, "customer": {"salesforce_id": ACCOUNT_ID}})

    assert codes(answer) == [("customer", "customer-not-synced")]
    assert api.erp.calls == ["customer"]  # the reference lookup


@pytest.mark.parametrize(
    "customer", [{"erp_customer": "99999999"}, {"causeway_id": CANONICAL}]
)
def test_an_unknown_customer_is_named(api: Api, customer: dict[str, str]) -> None:
    answer = validate(api, {**BY_NUMBER, "customer": customer})

    assert codes(answer) == [("customer", "customer-unknown")]
    assert answer["valid"] is False


@pytest.mark.parametrize(
    ("changes", "erp_field", "value"),
    [
        ({"centrally_blocked": True}, "BusinessPartnerIsBlocked", "true"),
        ({"order_block": "01"}, "OrderIsBlockedForCustomer", "01"),
        ({"area_order_block": "Z1"}, "A_CustomerSalesArea.OrderIsBlockedForCustomer", "Z1"),
        ({"archived": True}, "IsMarkedForArchiving", "true"),
    ],
)
def test_a_blocked_customer_is_named_with_the_blocking_field(
    api: Api, changes: dict[str, object], erp_field: str, value: str
) -> None:
    api.erp.customers["10000002"] = erp_customer(**changes)

    answer = validate(api, BY_NUMBER)

    assert answer["valid"] is False
    [finding] = answer["findings"]
    assert (finding["field"], finding["code"]) == ("customer", "customer-blocked")
    assert (finding["details"]["erp_field"], finding["erp_value"]) == (erp_field, value)
    assert answer["checks"]["prices"] == "skipped"
    assert "simulate" not in api.erp.calls


def test_a_price_beyond_the_tolerance_is_named_with_the_erps_price(api: Api) -> None:
    lines = [{**LINES[0], "unit_price": "100.99"}, {**LINES[1], "unit_price": "39.00"}]

    answer = validate(api, {**BY_NUMBER, "lines": lines})

    assert answer["valid"] is False
    assert codes(answer) == [("lines.1.unit_price", "price-mismatch")]  # 1 % of 100 is 1.00
    finding = answer["findings"][0]
    assert (finding["erp_value"], finding["quoted_value"]) == ("40.00", "39.00")
    assert finding["details"] == {"difference": "-1.00", "allowed": "0.40"}
    assert answer["checks"] == {"customer": "passed", "prices": "failed", "credit": "passed"}


def test_an_order_beyond_the_credit_headroom_is_named_with_the_figures(api: Api) -> None:
    api.erp.customers["10000002"] = erp_customer(area_credit_exposure=Decimal("9900"))

    answer = validate(api, BY_NUMBER)

    assert answer["valid"] is False
    [finding] = answer["findings"]
    assert (finding["field"], finding["code"]) == ("customer", "credit-limit-exceeded")
    assert (finding["erp_value"], finding["quoted_value"]) == ("100", "240.00")
    assert finding["details"]["credit_limit"] == "10000"
    assert answer["credit"]["status"] == "B"


def test_an_unknown_material_is_named_and_the_other_lines_still_priced(api: Api) -> None:
    lines = [LINES[0], {"material": "NOPE", "quantity": 1, "unit_price": "1"},
             {**LINES[1], "unit_price": "45.00"}]

    answer = validate(api, {**BY_NUMBER, "lines": lines})

    assert codes(answer) == [("lines.1.material", "material-unknown"),
                             ("lines.2.unit_price", "price-mismatch")]
    assert api.erp.calls.count("simulate") == 2
    assert answer["net_amount"] == "240.00"


def test_a_line_in_another_currency_is_named(api: Api) -> None:
    lines = [{**LINES[0], "currency": "USD"}, LINES[1]]

    answer = validate(api, {**BY_NUMBER, "lines": lines})

    assert codes(answer) == [("lines.0.currency", "currency-mismatch")]
    assert answer["findings"][0]["erp_value"] == "EUR"


def test_a_partly_confirmed_line_is_a_warning_only(api: Api) -> None:
    api.erp.stock = Decimal("1.5")

    answer = validate(api, BY_NUMBER)

    assert answer["valid"] is True
    assert codes(answer) == [("lines.0.quantity", "quantity-not-confirmed")]
    assert answer["findings"][0]["severity"] == "warning"
    assert answer["findings"][0]["erp_value"] == "1.5"


@pytest.mark.parametrize(
    ("error", "reason", "retry_after"),
    [
        (RetryableError("Service Unavailable", system="s4hana", status=503), "erp-unavailable",
         "5"),
        (ThrottledError("slow down", system="s4hana", status=429, retry_after=7),
         "erp-throttled", "7"),
    ],
)
def test_a_failing_erp_is_a_503_with_retry_after(
    api: Api, error: Exception, reason: str, retry_after: str
) -> None:
    api.erp.error = error

    response = api.client.post(PATH, json=BY_NUMBER, headers=api.headers)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == retry_after
    problem = response.json()
    assert (problem["type"], problem["reason"]) == ("urn:causeway:problem:erp-unavailable", reason)
    assert "cannot be validated" in problem["detail"]


def test_a_slow_erp_is_cut_at_the_deadline_and_then_spared(api: Api) -> None:
    api.erp.delay = 5.0
    for _ in range(3):
        slow = api.client.post(PATH, json=BY_NUMBER, headers=api.headers)
        assert (slow.status_code, slow.json()["reason"]) == (503, "erp-timeout")
    calls = len(api.erp.calls)

    spared = api.client.post(PATH, json=BY_NUMBER, headers=api.headers)

    assert (spared.status_code, spared.json()["reason"]) == (503, "circuit-open")
    assert spared.headers["retry-after"] == "30"
    assert len(api.erp.calls) == calls


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BY_NUMBER, "customer": {}}, "customer"),
        ({**BY_NUMBER, "customer": {"erp_customer": "1", "salesforce_id": ACCOUNT_ID}},
         "customer"),
        ({**BY_NUMBER, "customer": {"salesforce_id": "001'; DROP"}}, "customer.salesforce_id"),
        ({**BY_NUMBER, "customer": {"causeway_id": "not-a-uuid"}}, "customer.causeway_id"),
        ({**BY_NUMBER, "customer": {"erp_customer": "1", "name": "x"}}, "customer.name"),
        ({**BY_NUMBER, "lines": []}, "lines"),
        ({**BY_NUMBER, "lines": [{**LINES[0], "unit_price": "-1"}]}, "lines.0.unit_price"),
        ({**BY_NUMBER, "lines": [{**LINES[0], "unit_price": "NaN"}]}, "lines.0.unit_price"),
        ({**BY_NUMBER, "lines": [{"material": "A", "quantity": 1}]}, "lines.0.unit_price"),
        ({**BY_NUMBER, "lines": [{**LINES[0], "currency": "eur"}]}, "lines.0.currency"),
        ({**BY_NUMBER, "lines": [{**LINES[0], "discount": 5}]}, "lines.0.discount"),
        ({**BY_NUMBER, "tolerance": 5}, "tolerance"),
    ],
)
def test_invalid_requests_name_the_field_before_the_erp(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = api.client.post(PATH, json=body, headers=api.headers)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:causeway:problem:invalid-request"
    assert field in [error["field"] for error in problem["errors"]]
    assert api.erp.calls == []


def test_tokens_without_the_scope_or_none_at_all_are_refused(api: Api) -> None:
    rep = bearer(get_token(api.client, "rep", SECRETS["rep"]))

    forbidden = api.client.post(PATH, json=BY_NUMBER, headers=rep)
    anonymous = api.client.post(PATH, json=BY_NUMBER)
    forged = api.client.post(PATH, json=BY_NUMBER, headers={"Authorization": "Bearer x.y.z"})

    assert forbidden.status_code == 403
    assert forbidden.json()["required_scope"] == "quotes:validate"
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert api.erp.calls == []


def test_the_route_is_only_served_with_a_validator(tmp_path: Path) -> None:
    engine = store_engine(tmp_path)
    bare = TestClient(create_app(process_settings(), SqlBackbone(engine)))
    assert bare.post(PATH, json=BY_NUMBER).status_code == 404
    engine.dispose()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["customer", "currency", "lines", "material", "quantity", "unit_price",
                         "erp_customer", "salesforce_id", "causeway_id"])
        | st.text(max_size=6),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)
customers = st.one_of(
    st.fixed_dictionaries({"erp_customer": st.text(max_size=11) | st.just("10000002")}),
    st.fixed_dictionaries({"salesforce_id": st.text(max_size=19) | st.just(ACCOUNT_ID)}),
    st.fixed_dictionaries({"causeway_id": st.text(max_size=37) | st.just(CANONICAL)}),
)
lines = st.lists(
    st.fixed_dictionaries(
        {"material": st.text(max_size=12) | st.sampled_from(["MAT-1", "MAT-2", "NOPE"]),
         "quantity": st.integers() | st.floats() | st.decimals(allow_nan=False).map(str),
         "unit_price": st.integers() | st.floats() | st.text(max_size=8)
         | st.decimals(allow_nan=False).map(str)},
        optional={"currency": st.sampled_from(["EUR", "USD", "eur", ""])},
    ),
    max_size=3,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({"customer": customers, "lines": lines}).map(
            lambda v: json.dumps(v).encode()
        ),
        st.binary(max_size=40),
    ),
)
def test_no_input_gets_a_server_error(api: Api, body: bytes) -> None:
    response = api.client.post(
        PATH, content=body, headers={**api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (200, 400, 422), (body, response.text)


def test_a_line_the_erp_leaves_out_of_its_answer_is_not_passed(api: Api) -> None:
    simulate = api.erp.simulate_order

    async def short(*args: Any, **kwargs: Any) -> Any:
        simulation = await simulate(*args, **kwargs)
        return replace(simulation, lines=simulation.lines[:1])

    api.erp.simulate_order = short  # type: ignore[method-assign]
    answer = validate(api, BY_NUMBER)

    assert answer["valid"] is False
    assert codes(answer) == [("lines.1.unit_price", "price-unknown")]


def test_a_lookup_the_erp_refuses_is_an_unknown_customer_not_a_crash(api: Api) -> None:
    api.erp.error = InvalidRecordError("Invalid key", system="s4hana", status=400)

    answer = validate(api, BY_NUMBER)

    assert codes(answer) == [("customer", "customer-unknown")]
