"""`/v1/timelines/{number}`: found by any number, scoped, 404 and 4xx problems, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from causeway.api.app import create_app
from causeway.api.settings import ApiClient
from causeway.observe.activity import ActivityLog, call
from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from tests.unit.api.conftest import KEY, OPS_SECRET, api_settings, bearer, cheap_hash, get_token

PROCESS = "order_to_cash"
INSTANCE = "order_to_cash:801000000000007AAA"
TRACKER_SECRET = "tracker-secret-0123456789"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'activity.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def tracked(store: Engine) -> ActivityLog:
    log = ActivityLog(store)
    log.remember(PROCESS, INSTANCE, {"crm_order": "00000107", "erp_sales_order": "5000099"})
    with (
        log.step(PROCESS, INSTANCE, "create ERP sales order", system="s4hana"),
        call("POST A_SalesOrder", system="s4hana"),
    ):
        pass
    log.milestone(PROCESS, INSTANCE, "delivered", "delivered", system="s4hana")
    return log


@pytest.fixture
def timeline_client(store: Engine, tracked: ActivityLog) -> Iterator[TestClient]:
    clients = {
        "ops": ApiClient(secret_hash=cheap_hash(OPS_SECRET), scopes=("runtime:read",)),
        "tracker": ApiClient(secret_hash=cheap_hash(TRACKER_SECRET), scopes=("activity:read",)),
    }
    settings_ = api_settings(signing_key=KEY, clients=clients)
    app: FastAPI = create_app(settings_, SqlBackbone(store), activity=tracked)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tracker(timeline_client: TestClient) -> dict[str, str]:
    return bearer(get_token(timeline_client, "tracker", TRACKER_SECRET))


def test_the_same_timeline_answers_the_crm_and_the_erp_number(
    timeline_client: TestClient, tracker: dict[str, str]
) -> None:
    for number in ("00000107", "5000099"):
        response = timeline_client.get(f"/v1/timelines/{number}", headers=tracker)
        assert response.status_code == 200, response.text
        body = response.json()
        (timeline,) = body["timelines"]
        assert timeline["instance_id"] == INSTANCE
        assert timeline["status"] == "delivered"
        assert [(e["kind"], e["name"]) for e in timeline["events"]] == [
            ("step", "create ERP sales order"),
            ("call", "POST A_SalesOrder"),
            ("milestone", "delivered"),
        ]
        step, inner, _ = timeline["events"]
        assert inner["parent_id"] == step["id"]


def test_an_unknown_number_is_a_404_problem(
    timeline_client: TestClient, tracker: dict[str, str]
) -> None:
    response = timeline_client.get("/v1/timelines/00009999", headers=tracker)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("timeline-not-found")


def test_no_token_or_the_wrong_scope_is_refused(timeline_client: TestClient) -> None:
    assert timeline_client.get("/v1/timelines/00000107").status_code == 401
    ops = bearer(get_token(timeline_client, "ops", OPS_SECRET))
    refused = timeline_client.get("/v1/timelines/00000107", headers=ops)
    assert refused.status_code == 403


def test_a_number_with_characters_no_document_number_has_is_a_422_naming_it(
    timeline_client: TestClient, tracker: dict[str, str]
) -> None:
    response = timeline_client.get("/v1/timelines/a%20b%27%3B", headers=tracker)
    assert response.status_code == 422
    assert "number" in response.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.text(min_size=1, max_size=250))
def test_no_number_produces_a_server_error(
    timeline_client: TestClient, tracker: dict[str, str], number: str
) -> None:
    from urllib.parse import quote

    response = timeline_client.get(f"/v1/timelines/{quote(number, safe='')}", headers=tracker)
    assert response.status_code < 500
