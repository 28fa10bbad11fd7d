from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from causeway.sandbox.faults import (
    FaultInjector,
    FaultPlan,
    LatencySpec,
    OutageWindow,
    RateLimitSpec,
    install_faults,
)


def render(status: int, code: str, message: str) -> Response:
    return JSONResponse([{"errorCode": code, "message": message}], status_code=status)


def make_app(injector: FaultInjector) -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    written: list[str] = []

    @app.get("/data")
    def read() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/data")
    def write() -> dict[str, str]:
        written.append("row")
        return {"id": str(len(written))}

    @app.get("/__admin/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    install_faults(app, injector, render)
    return app, written


def test_no_plan_means_no_faults() -> None:
    app, _ = make_app(FaultInjector())
    with TestClient(app) as client:
        assert all(client.get("/data").status_code == 200 for _ in range(50))


def test_error_rate_is_deterministic_with_a_seed_and_near_the_rate() -> None:
    plan = FaultPlan(error_rates={503: 0.3}, seed=7)
    first = [FaultInjector(plan).random_error() for _ in range(1)]
    injector_a, injector_b = FaultInjector(plan), FaultInjector(plan)
    draws_a = [injector_a.random_error() for _ in range(2000)]
    draws_b = [injector_b.random_error() for _ in range(2000)]
    assert draws_a == draws_b
    assert first[0] == draws_a[0]
    share = draws_a.count(503) / len(draws_a)
    assert 0.25 < share < 0.35


def test_429_carries_retry_after_and_the_system_error_body() -> None:
    injector = FaultInjector(FaultPlan(error_rates={429: 1.0}, retry_after_s=7))
    app, _ = make_app(injector)
    with TestClient(app) as client:
        response = client.get("/data")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert injector.counters["error_429"] == 1


def test_admin_paths_are_exempt_from_faults() -> None:
    injector = FaultInjector(FaultPlan(error_rates={500: 1.0}))
    app, _ = make_app(injector)
    with TestClient(app) as client:
        assert client.get("/__admin/health").status_code == 200
        assert client.get("/data").status_code == 500


def test_outage_window_answers_503_only_inside_the_window() -> None:
    now = datetime.now(UTC)
    window = OutageWindow(start=now - timedelta(seconds=1), end=now + timedelta(seconds=60))
    injector = FaultInjector(FaultPlan(outages=[window]))
    assert injector.outage_status(now) == 503
    assert injector.outage_status(now + timedelta(seconds=61)) is None
    app, _ = make_app(injector)
    with TestClient(app) as client:
        response = client.get("/data")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_start_outage_now_then_it_ends() -> None:
    injector = FaultInjector()
    window = injector.start_outage(0.5)
    assert injector.outage_status() == 503
    assert injector.outage_status(window.end) is None


def test_ambiguous_write_commits_but_answers_504() -> None:
    injector = FaultInjector(FaultPlan(ambiguous_write_rate=1.0, ambiguous_delay_s=0.0))
    app, written = make_app(injector)
    with TestClient(app) as client:
        assert client.get("/data").status_code == 200  # reads are never ambiguous
        response = client.post("/data")
    assert response.status_code == 504
    assert written == ["row"]


def test_latency_distributions() -> None:
    rng = random.Random(1)
    assert LatencySpec(ms=12).sample_ms(rng) == 12
    uniform = [
        LatencySpec(distribution="uniform", ms=5, max_ms=10).sample_ms(rng) for _ in range(500)
    ]
    assert min(uniform) >= 5
    assert max(uniform) <= 10
    spec = LatencySpec(distribution="lognormal", ms=20, max_ms=200)
    draws = sorted(spec.sample_ms(rng) for _ in range(5000))
    assert 15 < draws[2500] < 25  # median
    assert 120 < draws[4950] < 330  # roughly the p99


def test_duplicate_events_follow_the_rate() -> None:
    injector = FaultInjector(FaultPlan(duplicate_event_rate=1.0))
    assert injector.should_duplicate_event()
    assert injector.counters["duplicate_event"] == 1
    assert not FaultInjector().should_duplicate_event()


@pytest.mark.parametrize(
    "bad",
    [
        {"error_rates": {200: 0.1}},
        {"error_rates": {500: 1.5}},
        {"error_rates": {500: 0.6, 503: 0.6}},
        {"latency": {"distribution": "uniform", "ms": 10, "max_ms": 5}},
        {"ambiguous_write_rate": 2},
        {"colour": "red"},
    ],
)
def test_invalid_plans_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FaultPlan.model_validate(bad)


def test_patch_keeps_the_rest_of_the_plan() -> None:
    injector = FaultInjector(FaultPlan(retry_after_s=9))
    plan = injector.patch({"error_rates": {503: 0.1}})
    assert plan.retry_after_s == 9
    assert plan.error_rates == {503: 0.1}
    injector.clear()
    assert injector.plan == FaultPlan()


def test_rate_limit_admits_the_burst_then_answers_429_with_when_to_come_back() -> None:
    limit = RateLimitSpec(requests_per_second=0.5, burst=3, writes_only=True)
    injector = FaultInjector(FaultPlan(rate_limit=limit))
    app, written = make_app(injector)
    with TestClient(app) as client:
        answers = [client.post("/data").status_code for _ in range(5)]
        reads = [client.get("/data").status_code for _ in range(5)]
        refused = client.post("/data")
    assert answers == [200, 200, 200, 429, 429]
    assert reads == [200] * 5  # writes only: reads pass
    assert written == ["row"] * 3  # a refused write never reaches the system
    assert refused.headers["Retry-After"] == "2"  # one token at 0.5/s
    assert injector.counters["rate_limited"] == 3
    assert injector.peak_admitted() == 3


def test_rate_limit_refills_at_its_rate() -> None:
    clock = {"now": 100.0}
    injector = FaultInjector(
        FaultPlan(rate_limit=RateLimitSpec(requests_per_second=50)),
        monotonic=lambda: clock["now"],
    )
    admitted = 0
    for _ in range(50):  # a call every 10 ms for half a second
        if injector.over_limit("PATCH") is None:
            admitted += 1
        clock["now"] += 0.01
    # Half a second at 50/s with a burst of one: one call in two.
    assert admitted in (25, 26)
