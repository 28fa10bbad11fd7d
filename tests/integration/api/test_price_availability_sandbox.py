"""Price and availability against the ERP sandbox: a fresh answer, then the ERP's outage
answered from the cache (degraded), and a quote never priced refused with a 503."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from causeway.api.app import create_app
from causeway.api.client_secrets import hash_secret
from causeway.api.pricing import PricingService, PricingSettings
from causeway.api.settings import ApiClient, ApiSettings
from causeway.runtime.backends.sql import SqlBackbone
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedConfig
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES
from tests.support.sandboxes import Sandboxes, sandboxes
from tests.unit.api.conftest import KEY, bearer, get_token

PATH = "/v1/quotes/price-availability"
CUSTOMER = "10000002"
SECRET = "rep-secret-0123456789"
TTL = 0.2


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    with sandboxes(tmp_path_factory.mktemp("sandboxes"), SeedConfig(accounts=30, products=5)) as s:
        yield s


@pytest.fixture
def api(sandbox: Sandboxes, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path}/api.sqlite")
    metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    settings = ApiSettings.model_validate({
        "signing_key": KEY,
        "clients": {"rep": ApiClient(secret_hash=hash_secret(SECRET, n=16, r=1, p=1),
                                     scopes=("quotes:price",))},
    })
    pricing = PricingService(sandbox.s4(), PricingSettings(ttl=TTL, erp_timeout=2.0))
    app = create_app(settings, SqlBackbone(engine), pricing=pricing)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            client.headers.update(bearer(get_token(client, "rep", SECRET)))
            yield client
            assert client.portal is not None
            client.portal.call(pricing.aclose)  # on the loop its HTTP client ran on
    finally:
        sandbox.set_faults("erp", FaultPlan())
        engine.dispose()


def test_fresh_then_degraded_during_an_outage_then_503_for_an_unknown_quote(
    sandbox: Sandboxes, api: TestClient
) -> None:
    products = sandbox.universe.products
    quote = {"customer": CUSTOMER, "lines": [{"material": products[0].sku, "quantity": 2},
                                             {"material": products[1].sku, "quantity": "1.5"}]}

    fresh = api.post(PATH, json=quote)
    assert fresh.status_code == 200, fresh.text
    answer = fresh.json()
    assert (answer["source"], answer["degraded"], answer["currency"]) == ("erp", False, "EUR")
    assert [line["material"] for line in answer["lines"]] == [p.sku for p in products[:2]]
    first = answer["lines"][0]
    assert Decimal(first["confirmed_quantity"]) == 2
    assert first["confirmed_date"] is not None
    assert first["net_amount"] is not None
    assert answer["net_amount"] is not None
    assert api.post(PATH, json=quote).json()["source"] == "cache"

    time.sleep(TTL + 0.05)
    sandbox.admin_post("erp", "faults/outage", {"seconds": 60})
    degraded = api.post(PATH, json=quote)
    assert degraded.status_code == 200, degraded.text
    stale = degraded.json()
    assert (stale["source"], stale["degraded"], stale["degraded_reason"]) == (
        "cache", True, "erp-unavailable")
    assert stale["as_of"] == answer["as_of"]
    assert stale["lines"] == answer["lines"]

    unknown = api.post(PATH, json={**quote, "lines": quote["lines"][:1]})
    assert unknown.status_code == 503, unknown.text
    assert unknown.json()["type"] == "urn:causeway:problem:erp-unavailable"
    assert int(unknown.headers["retry-after"]) >= 1


def test_an_unknown_material_is_a_422_naming_the_line(
    sandbox: Sandboxes, api: TestClient
) -> None:
    good = sandbox.universe.products[0].sku
    quote = {"customer": CUSTOMER, "lines": [{"material": good, "quantity": 1},
                                             {"material": "NO-SUCH-MAT", "quantity": 1}]}

    refused = api.post(PATH, json=quote)

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:causeway:problem:quote-rejected"
    assert problem["errors"][0]["field"] == "lines.1.material"
