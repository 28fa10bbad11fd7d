from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.sandbox.admin import admin_router
from causeway.sandbox.faults import FaultInjector

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_client() -> tuple[TestClient, FaultInjector, list[int]]:
    injector = FaultInjector()
    resets: list[int] = []
    app = FastAPI()
    app.include_router(admin_router(injector, lambda: resets.append(1), TOKEN))
    return TestClient(app), injector, resets


def test_admin_needs_the_token() -> None:
    client, _, _ = make_client()
    assert client.get("/__admin/faults").status_code == 401
    assert (
        client.get("/__admin/faults", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert client.get("/__admin/health").status_code == 200


def test_put_patch_delete_faults() -> None:
    client, injector, _ = make_client()
    body = {"error_rates": {"503": 0.5}, "retry_after_s": 3}
    response = client.put("/__admin/faults", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert injector.plan.error_rates == {503: 0.5}
    response = client.patch("/__admin/faults", json={"duplicate_event_rate": 0.2}, headers=AUTH)
    assert response.status_code == 200
    assert injector.plan.retry_after_s == 3
    assert injector.plan.duplicate_event_rate == 0.2
    assert client.delete("/__admin/faults", headers=AUTH).json()["plan"]["error_rates"] == {}


def test_invalid_patch_names_the_field() -> None:
    client, injector, _ = make_client()
    response = client.patch("/__admin/faults", json={"ambiguous_write_rate": 3}, headers=AUTH)
    assert response.status_code == 422
    assert "ambiguous_write_rate" in response.text
    assert injector.plan.ambiguous_write_rate == 0


def test_outage_and_reset() -> None:
    client, injector, resets = make_client()
    response = client.post("/__admin/faults/outage", json={"seconds": 30}, headers=AUTH)
    assert response.status_code == 200
    assert injector.outage_status() == 503
    assert client.post("/__admin/reset", headers=AUTH).json() == {"status": "reset"}
    assert resets == [1]
