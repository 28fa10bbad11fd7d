"""Fixtures: an in-process CRM sandbox app and an authenticated TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from causeway.sandbox.crm.app import CrmSettings, create_app
from causeway.sandbox.crm.catalog import CATALOG
from causeway.sandbox.crm.events import EventLog
from causeway.sandbox.crm.seeding import INTEGRATION_USER_ID, seed_org
from causeway.sandbox.crm.store import CrmStore

API = "/services/data/v60.0"


@pytest.fixture
def store() -> CrmStore:
    org_store = CrmStore(CATALOG, EventLog(), None, lambda: datetime.now(UTC),
                         INTEGRATION_USER_ID)
    seed_org(org_store, None, "integration@causeway.test")
    return org_store


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(CrmSettings())
    with TestClient(app) as test_client:
        token = test_client.post("/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "causeway-demo",
            "client_secret": "causeway-demo-secret"}).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client
