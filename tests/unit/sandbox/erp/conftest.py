"""Fixtures: an ERP sandbox app on FastAPI's TestClient with a frozen business clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.sandbox.erp.app import ErpSettings, create_app
from causeway.sandbox.seed import SeedConfig, SeedUniverse, generate

ODATA = "/sap/opu/odata/sap"
ADMIN_HEADERS = {"Authorization": "Bearer causeway-admin"}


@pytest.fixture(scope="session")
def universe() -> SeedUniverse:
    return generate(SeedConfig(accounts=12, products=4, contacts_per_account=0, seed=11))


@pytest.fixture
def app(universe: SeedUniverse) -> FastAPI:
    return create_app(ErpSettings(clock_speed=0, page_size=5), universe)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as session:
        session.auth = ("CAUSEWAY", "causeway")
        fetched = session.get(f"{ODATA}/API_SALES_ORDER_SRV/", headers={"x-csrf-token": "Fetch"})
        session.headers["x-csrf-token"] = fetched.headers["x-csrf-token"]
        yield session


@pytest.fixture
def admin_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=ADMIN_HEADERS) as session:
        yield session
