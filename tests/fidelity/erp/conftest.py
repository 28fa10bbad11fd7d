"""Fixtures: the ERP sandbox on a loopback port and SAP's pyodata client pointed at it.

The session is prepared the way pyodata's documentation prescribes for SAP Gateway: Basic
auth, then one HEAD with `x-csrf-token: Fetch` whose token goes into the session headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyodata
import pytest
import requests

from causeway.sandbox.erp.app import ErpSettings, create_app
from causeway.sandbox.seed import SeedConfig, SeedUniverse, generate
from causeway.sandbox.server import RunningServer, serve_in_thread

USER = "CAUSEWAY"
PASSWORD = "causeway"
ADMIN = "causeway-admin"
PAGE_SIZE = 10
ODATA = "/sap/opu/odata/sap"


@pytest.fixture(scope="session")
def universe() -> SeedUniverse:
    return generate(SeedConfig(accounts=30, products=6, contacts_per_account=0, seed=7))


@pytest.fixture
def erp_server(universe: SeedUniverse) -> Iterator[RunningServer]:
    app = create_app(ErpSettings(clock_speed=0, page_size=PAGE_SIZE), universe)
    with serve_in_thread(app) as server:
        yield server


def service_url(server: RunningServer, service: str) -> str:
    return f"{server.url}{ODATA}/{service}/"


@pytest.fixture
def http(erp_server: RunningServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    response = session.head(
        service_url(erp_server, "API_BUSINESS_PARTNER"), headers={"x-csrf-token": "Fetch"}
    )
    session.headers.update({"x-csrf-token": response.headers["x-csrf-token"]})
    yield session
    session.close()


@pytest.fixture
def odata(erp_server: RunningServer, http: requests.Session) -> Callable[[str], Any]:
    def connect(service: str) -> Any:
        return pyodata.Client(service_url(erp_server, service), http)

    return connect


@pytest.fixture
def admin(erp_server: RunningServer) -> Callable[..., dict[str, Any]]:
    def call(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(
            f"{erp_server.url}/__admin/{path}",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=10,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    return call
