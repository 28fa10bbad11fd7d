"""Price and availability: the cache, single-flight, degraded answers, 503, 422 and auth,
over a fake pricing backend and a hand-driven clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causeway.api.app import create_app
from causeway.api.client_secrets import hash_secret
from causeway.api.pricing import (
    ErpUnavailable,
    PricingService,
    PricingSettings,
    QuoteRejected,
    quote_key,
)
from causeway.api.settings import ApiClient, ApiSettings
from causeway.connectors.errors import (
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.connectors.s4hana.simulation import (
    QuoteLine,
    SimulatedLine,
    Simulation,
    SimulationTimeout,
)
from causeway.runtime.backends.sql import SqlBackbone

from .conftest import KEY, OPS_SECRET, bearer, get_token

PATH = "/v1/quotes/price-availability"
REP_SECRET = "rep-secret-0123456789"
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
BODY = {"customer": "10000002", "lines": [{"material": "MAT-1", "quantity": 2}]}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t - 1000.0)


def simulation(customer: str, currency: str, lines: Sequence[QuoteLine]) -> Simulation:
    priced = tuple(
        SimulatedLine(
            item=str(10 * (n + 1)), material=line.material, requested_quantity=line.quantity,
            unit="PC", confirmed_quantity=line.quantity, confirmed_date=date(2026, 12, 9),
            unit_net_price=Decimal("12.50"), net_amount=Decimal("12.50") * line.quantity,
            currency=currency, plant="1010",
        )
        for n, line in enumerate(lines)
    )
    total = sum((line.net_amount or Decimal(0) for line in priced), Decimal(0))
    return Simulation(customer, currency, priced, total, "A")


@dataclass
class FakeErp:
    """Prices every line at 12.50, or raises `error`; `gate` holds calls until it is set."""

    calls: list[tuple[str, str, tuple[QuoteLine, ...]]] = field(default_factory=list)
    error: Exception | None = None
    gate: asyncio.Event | None = None
    delay: float = 0.0

    async def simulate_order(
        self, sold_to: str, currency: str, lines: Sequence[QuoteLine], *,
        timeout_s: float | None = None,
    ) -> Simulation:
        self.calls.append((sold_to, currency, tuple(lines)))
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return simulation(sold_to, currency, lines)


def service(erp: FakeErp, clock: Clock, **overrides: Any) -> PricingService:
    return PricingService(erp, PricingSettings(**overrides), clock=clock, now=clock.now)


LINES = [QuoteLine("MAT-1", Decimal(2))]


def quote(svc: PricingService, lines: Sequence[QuoteLine] = LINES, currency: str = "EUR") -> Any:
    return asyncio.run(svc.quote("10000002", currency, lines))


def outage() -> RetryableError:
    return RetryableError("Service Unavailable", system="s4hana", status=503)


# The service


def test_a_quote_is_priced_once_then_served_from_the_cache_until_its_ttl() -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock, ttl=30)

    first = quote(svc)
    clock.t += 10
    again = quote(svc, [QuoteLine("MAT-1", Decimal("2.000"))])
    clock.t += 25
    later = quote(svc)

    assert (first.source, again.source, later.source) == ("erp", "cache", "erp")
    assert again.as_of == first.as_of == T0
    assert later.as_of == T0 + timedelta(seconds=35)
    assert not (first.degraded)
    assert not (again.degraded)
    assert not (later.degraded)
    assert len(erp.calls) == 2


def test_the_key_covers_customer_currency_and_every_line_in_order() -> None:
    a, b = QuoteLine("A", Decimal(1)), QuoteLine("B", Decimal("1.50"))
    respelt = QuoteLine("B", Decimal("1.5"))
    assert quote_key("1", "EUR", [a, b]) == quote_key("1", "EUR", [a, respelt])
    assert quote_key("1", "EUR", [a, b]) != quote_key("1", "EUR", [b, a])
    assert quote_key("1", "EUR", [a]) != quote_key("1", "USD", [a])
    assert quote_key("1", "EUR", [a]) != quote_key("2", "EUR", [a])


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock, max_entries=2)

    quote(svc, [QuoteLine("A", Decimal(1))])
    quote(svc, [QuoteLine("B", Decimal(1))])
    quote(svc, [QuoteLine("A", Decimal(1))])  # A is now the most recent
    quote(svc, [QuoteLine("C", Decimal(1))])  # evicts B
    assert quote(svc, [QuoteLine("A", Decimal(1))]).source == "cache"
    assert quote(svc, [QuoteLine("B", Decimal(1))]).source == "erp"
    assert len(svc) == 2


def test_identical_requests_in_flight_share_one_erp_call() -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock)

    async def burst() -> list[Any]:
        erp.gate = asyncio.Event()
        waiting = [asyncio.create_task(svc.quote("10000002", "EUR", LINES)) for _ in range(20)]
        other = asyncio.create_task(svc.quote("10000002", "USD", LINES))
        await asyncio.sleep(0.01)
        erp.gate.set()
        return await asyncio.gather(*waiting, other)

    answers = asyncio.run(burst())

    assert len(erp.calls) == 2
    assert {answer.source for answer in answers} == {"erp"}


def test_a_caller_going_away_does_not_cancel_the_shared_call() -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock)

    async def scenario() -> Any:
        erp.gate = asyncio.Event()
        leaving = asyncio.create_task(svc.quote("10000002", "EUR", LINES))
        staying = asyncio.create_task(svc.quote("10000002", "EUR", LINES))
        await asyncio.sleep(0.01)
        leaving.cancel()
        erp.gate.set()
        return await staying

    assert asyncio.run(scenario()).source == "erp"
    assert len(erp.calls) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SimulationTimeout("no answer within 2 s", system="s4hana"), "erp-timeout"),
        (outage(), "erp-unavailable"),
        (ThrottledError("slow down", system="s4hana", status=429), "erp-throttled"),
        (FatalError("401", system="s4hana", status=401), "erp-unavailable"),
        (ValueError("an unmapped failure"), "erp-unavailable"),
    ],
)
def test_a_failing_erp_degrades_to_the_last_known_answer(error: Exception, reason: str) -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock, ttl=30, stale_window=900)
    quote(svc)
    clock.t += 600
    erp.error = error

    answer = quote(svc)

    assert (answer.source, answer.degraded, answer.degraded_reason) == ("cache", True, reason)
    assert answer.as_of == T0
    assert answer.simulation.lines[0].material == "MAT-1"


def test_a_failing_erp_without_a_recent_answer_is_unavailable() -> None:
    erp, clock = FakeErp(), Clock()
    svc = service(erp, clock, ttl=30, stale_window=900)
    quote(svc)
    clock.t += 901
    erp.error = ThrottledError("slow down", system="s4hana", status=429, retry_after=7)

    with pytest.raises(ErpUnavailable) as stale:
        quote(svc)
    with pytest.raises(ErpUnavailable) as never:
        quote(svc, [QuoteLine("NEVER", Decimal(1))])

    assert (stale.value.reason, stale.value.retry_after_header) == ("erp-throttled", "7")
    assert never.value.reason == "erp-throttled"


def test_a_slow_backend_is_cut_at_the_deadline() -> None:
    erp, clock = FakeErp(delay=5.0), Clock()
    svc = service(erp, clock, erp_timeout=0.05)

    with pytest.raises(ErpUnavailable) as slow:
        quote(svc)

    assert slow.value.reason == "erp-timeout"


def test_the_circuit_opens_after_repeated_failures_and_spares_the_erp() -> None:
    erp, clock = FakeErp(error=outage()), Clock()
    svc = service(erp, clock, breaker_threshold=3, breaker_cooldown=10)
    for material in ("A", "B", "C"):
        with pytest.raises(ErpUnavailable):
            quote(svc, [QuoteLine(material, Decimal(1))])

    with pytest.raises(ErpUnavailable) as refused:
        quote(svc, [QuoteLine("D", Decimal(1))])
    assert refused.value.reason == "circuit-open"
    assert refused.value.retry_after_header == "10"
    assert len(erp.calls) == 3

    clock.t += 10
    erp.error = None
    assert quote(svc, [QuoteLine("D", Decimal(1))]).source == "erp"  # the probe closes it
    assert quote(svc, [QuoteLine("E", Decimal(1))]).source == "erp"


def test_an_erp_refusal_names_the_line_and_field_and_leaves_the_circuit_closed() -> None:
    refusal = InvalidRecordError(
        "Item 20: material NOPE does not exist", system="s4hana", object_name="A_SalesOrderItem",
        record_id="10000002", field="Material", status=400,
    )
    erp, clock = FakeErp(error=refusal), Clock()
    svc = service(erp, clock, breaker_threshold=1)
    lines = [QuoteLine("MAT-1", Decimal(1)), QuoteLine("NOPE", Decimal(1))]

    for _ in range(3):
        with pytest.raises(QuoteRejected) as rejected:
            quote(svc, lines)

    assert (rejected.value.line, rejected.value.field) == (1, "Material")
    assert len(erp.calls) == 3  # refusals are not cached and do not open the circuit


# The route


def settings_with_rep() -> ApiSettings:
    clients = {
        "ops": ApiClient(secret_hash=hash_secret(OPS_SECRET, n=16, r=1, p=1),
                         scopes=("runtime:read", "runtime:operate")),
        "rep": ApiClient(secret_hash=hash_secret(REP_SECRET, n=16, r=1, p=1),
                         scopes=("quotes:price",)),
    }
    return ApiSettings.model_validate({"signing_key": KEY, "clients": clients})


@dataclass
class Api:
    client: TestClient
    erp: FakeErp
    clock: Clock
    rep: dict[str, str]
    pricing: PricingService


@pytest.fixture
def api(backbone: SqlBackbone) -> Iterator[Api]:
    erp, clock = FakeErp(), Clock()
    pricing = service(erp, clock, breaker_threshold=100)
    app: FastAPI = create_app(settings_with_rep(), backbone, pricing=pricing)
    with TestClient(app, raise_server_exceptions=False) as client:
        rep = bearer(get_token(client, "rep", REP_SECRET))
        yield Api(client, erp, clock, rep, pricing)


def test_the_route_answers_each_line_with_price_and_availability(api: Api) -> None:
    body = {"customer": "10000002", "currency": "USD",
            "lines": [{"material": "MAT-1", "quantity": 2},
                      {"material": "MAT-2", "quantity": "1.5"}]}

    fresh = api.client.post(PATH, json=body, headers=api.rep)
    cached = api.client.post(PATH, json=body, headers=api.rep)

    assert fresh.status_code == 200, fresh.text
    answer = fresh.json()
    assert answer["source"] == "erp"
    assert answer["degraded"] is False
    assert answer["degraded_reason"] is None
    assert answer["as_of"] == "2026-12-06T09:00:00Z"
    assert answer["net_amount"] == "43.750"
    assert answer["lines"][1] == {
        "material": "MAT-2", "requested_quantity": "1.5", "confirmed_quantity": "1.5",
        "confirmed_date": "2026-12-09", "unit_net_price": "12.50", "net_amount": "18.750",
        "currency": "USD", "unit": "PC", "plant": "1010",
    }
    assert cached.json()["source"] == "cache"
    assert len(api.erp.calls) == 1
    assert api.erp.calls[0][1] == "USD"


def test_the_currency_defaults_to_euro(api: Api) -> None:
    response = api.client.post(PATH, json=BODY, headers=api.rep)
    assert response.json()["currency"] == "EUR"


def test_a_degraded_answer_says_so(api: Api) -> None:
    api.client.post(PATH, json=BODY, headers=api.rep)
    api.clock.t += 120
    api.erp.error = SimulationTimeout("no answer within 2 s", system="s4hana")

    response = api.client.post(PATH, json=BODY, headers=api.rep)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["source"], answer["degraded"], answer["degraded_reason"]) == (
        "cache", True, "erp-timeout")
    assert answer["as_of"] == "2026-12-06T09:00:00Z"


def test_an_unknown_quote_with_the_erp_down_is_a_503_with_retry_after(api: Api) -> None:
    api.erp.error = outage()

    response = api.client.post(PATH, json=BODY, headers=api.rep)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    problem = response.json()
    assert problem["type"] == "urn:causeway:problem:erp-unavailable"
    assert problem["reason"] == "erp-unavailable"
    assert problem["correlation_id"] == response.headers["x-correlation-id"]


def test_an_erp_refusal_is_a_422_naming_the_line(api: Api) -> None:
    api.erp.error = InvalidRecordError(
        "Item 20: material NOPE does not exist", system="s4hana", record_id="10000002",
        field="Material", status=400,
    )
    body = {"customer": "10000002",
            "lines": [{"material": "MAT-1", "quantity": 1}, {"material": "NOPE", "quantity": 1}]}

    response = api.client.post(PATH, json=body, headers=api.rep)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:causeway:problem:quote-rejected"
    assert problem["line"] == 1
    assert problem["errors"][0]["field"] == "lines.1.material"
    assert "NOPE" in problem["errors"][0]["message"]


def test_an_unknown_customer_is_a_422_naming_the_customer(api: Api) -> None:
    api.erp.error = InvalidRecordError(
        "Sold-to party 99999999 does not exist", system="s4hana", record_id="99999999",
        field="SoldToParty", status=400,
    )
    response = api.client.post(PATH, json={**BODY, "customer": "99999999"}, headers=api.rep)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer"
    assert response.json()["line"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"customer": "10000002", "lines": []},
        {"customer": "10000002", "lines": [{"material": "A", "quantity": 1}] * 201},
        {"customer": "10000002", "lines": [{"material": "A", "quantity": 0}]},
        {"customer": "10000002", "lines": [{"material": "A", "quantity": -1}]},
        {"customer": "10000002", "lines": [{"material": "A", "quantity": "NaN"}]},
        {"customer": "10000002", "lines": [{"material": "a' or 1 eq 1", "quantity": 1}]},
        {"customer": "10000002", "lines": [{"material": "A", "quantity": 1, "plant": "1"}]},
        {"customer": "x" * 11, "lines": [{"material": "A", "quantity": 1}]},
        {"customer": "10000002", "currency": "eur", "lines": [{"material": "A", "quantity": 1}]},
        {"lines": [{"material": "A", "quantity": 1}]},
    ],
)
def test_invalid_requests_are_refused_before_the_erp(api: Api, body: dict[str, Any]) -> None:
    response = api.client.post(PATH, json=body, headers=api.rep)

    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:causeway:problem:invalid-request"
    assert api.erp.calls == []


def test_two_hundred_lines_are_accepted(api: Api) -> None:
    lines = [{"material": f"M{n}", "quantity": 1} for n in range(200)]
    response = api.client.post(PATH, json={"customer": "1", "lines": lines}, headers=api.rep)
    assert response.status_code == 200
    assert len(response.json()["lines"]) == 200


def test_a_token_without_the_scope_is_forbidden_and_none_is_unauthorized(api: Api) -> None:
    ops = bearer(get_token(api.client, "ops", OPS_SECRET))

    forbidden = api.client.post(PATH, json=BODY, headers=ops)
    anonymous = api.client.post(PATH, json=BODY)
    garbage = api.client.post(PATH, content=b"{", headers={"Content-Type": "application/json"})

    assert forbidden.status_code == 403
    assert forbidden.json()["required_scope"] == "quotes:price"
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="causeway"'
    assert garbage.status_code == 401
    assert api.erp.calls == []


def test_the_route_is_only_served_with_a_pricing_service(backbone: SqlBackbone) -> None:
    bare = TestClient(create_app(settings_with_rep(), backbone))
    assert bare.post(PATH, json=BODY).status_code == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["customer", "currency", "lines", "material", "quantity"])
        | st.text(max_size=6),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)
lines = st.lists(
    st.fixed_dictionaries(
        {"material": st.text(max_size=12) | st.sampled_from(["MAT-1", "A"]),
         "quantity": st.integers() | st.floats() | st.text(max_size=8)
         | st.decimals(allow_nan=False).map(str)},
    ),
    max_size=3,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {"customer": st.text(max_size=12) | st.just("10000002"), "lines": lines}
        ).map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=40),
    ),
)
def test_no_input_gets_a_server_error(api: Api, body: bytes) -> None:
    response = api.client.post(
        PATH, content=body, headers={**api.rep, "Content-Type": "application/json"}
    )
    assert response.status_code in (200, 400, 422), (body, response.text)
