"""The HTTP surface through FastAPI's TestClient: status codes, bodies, paging, writes, admin."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.sandbox.erp.app import ErpSettings, create_app
from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

BP = f"{ODATA}/API_BUSINESS_PARTNER"
SO = f"{ODATA}/API_SALES_ORDER_SRV"


def test_service_document_lists_entity_sets(client: TestClient) -> None:
    body = client.get(f"{SO}/").json()
    sets = ["A_SalesOrder", "A_SalesOrderItem", "A_SalesOrderScheduleLine"]
    assert body["d"]["EntitySets"] == sets


def test_metadata_is_xml(client: TestClient) -> None:
    response = client.get(f"{SO}/$metadata")
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["dataserviceversion"] == "2.0"


def test_collection_shape_with_count_and_next(client: TestClient) -> None:
    body = client.get(f"{BP}/A_BusinessPartner", params={"$inlinecount": "allpages"}).json()["d"]
    assert body["__count"] == "12"
    assert len(body["results"]) == 5
    assert "%24skiptoken=5" in body["__next"]
    entity = body["results"][0]
    assert entity["__metadata"]["type"] == "API_BUSINESS_PARTNER.A_BusinessPartnerType"
    assert entity["__metadata"]["uri"].endswith("A_BusinessPartner('10000001')")
    assert entity["to_Customer"]["__deferred"]["uri"].endswith("('10000001')/to_Customer")
    assert entity["CreationDate"].startswith("/Date(")
    assert entity["LastChangeTime"].startswith("PT")


def test_last_page_has_no_next(client: TestClient) -> None:
    body = client.get(f"{BP}/A_BusinessPartner", params={"$skiptoken": "10"}).json()["d"]
    assert len(body["results"]) == 2
    assert "__next" not in body


def test_count_endpoint_is_plain_text(client: TestClient) -> None:
    response = client.get(f"{BP}/A_BusinessPartner/$count",
                          params={"$filter": "BusinessPartner le '10000003'"})
    assert response.text == "3"


def test_unknown_entity_set_and_key_are_404(client: TestClient) -> None:
    unknown_set = client.get(f"{BP}/A_Nothing")
    unknown_key = client.get(f"{BP}/A_BusinessPartner('1')")
    assert unknown_set.status_code == 404
    assert unknown_key.status_code == 404
    assert unknown_key.json()["error"]["message"]["value"].startswith("Resource not found")


def test_key_predicate_must_quote_strings(client: TestClient) -> None:
    response = client.get(f"{BP}/A_BusinessPartner(10000001)")
    assert response.status_code == 400


def test_read_only_sets_refuse_writes_with_405(client: TestClient) -> None:
    response = client.post(f"{ODATA}/API_BILLING_DOCUMENT_SRV/A_BillingDocument", json={})
    assert response.status_code == 405


def test_mandatory_property_is_named(client: TestClient) -> None:
    response = client.post(f"{SO}/A_SalesOrder", json={"PurchaseOrderByCustomer": "X"})
    assert response.status_code == 400
    assert "SoldToParty" in response.json()["error"]["message"]["value"]


def test_unknown_property_is_named(client: TestClient) -> None:
    response = client.post(f"{BP}/A_BusinessPartner",
                           json={"BusinessPartnerCategory": "2", "Colour": "blue"})
    assert response.status_code == 400
    assert "Colour" in response.json()["error"]["message"]["value"]


def test_create_business_partner_with_internal_number(client: TestClient) -> None:
    response = client.post(f"{BP}/A_BusinessPartner", json={
        "BusinessPartnerCategory": "2",
        "OrganizationBPName1": "Lakeside Valves",
        "to_BusinessPartnerAddress": {"results": [{"Country": "NL", "CityName": "Delft"}]},
        "to_Customer": {"CustomerAccountGroup": "CUST"},
    })
    created = response.json()["d"]
    assert response.status_code == 201
    assert created["BusinessPartner"] == "10000013"
    assert created["Customer"] == "10000013"
    assert response.headers["Location"].endswith("A_BusinessPartner('10000013')")
    areas = client.get(f"{BP}/A_Customer('10000013')/to_CustomerSalesArea").json()["d"]["results"]
    assert areas[0]["SalesOrganization"] == "1010"


def test_merge_tunnelled_through_post(client: TestClient) -> None:
    response = client.post(f"{BP}/A_BusinessPartner('10000002')",
                           json={"SearchTerm2": "TUNNEL"}, headers={"X-HTTP-Method": "MERGE"})
    assert response.status_code == 204
    entity = client.get(f"{BP}/A_BusinessPartner('10000002')").json()["d"]
    assert entity["SearchTerm2"] == "TUNNEL"


def test_select_with_navigation_path(client: TestClient) -> None:
    body = client.get(f"{BP}/A_BusinessPartner('10000001')", params={
        "$select": "BusinessPartner,to_BusinessPartnerAddress/CityName",
        "$expand": "to_BusinessPartnerAddress",
    }).json()["d"]
    address = body["to_BusinessPartnerAddress"]["results"][0]
    assert set(body) == {"__metadata", "BusinessPartner", "to_BusinessPartnerAddress"}
    assert set(address) == {"__metadata", "CityName"}


def test_expand_of_unknown_navigation_is_400(client: TestClient) -> None:
    response = client.get(f"{BP}/A_BusinessPartner", params={"$expand": "to_Nothing"})
    assert response.status_code == 400


def test_an_empty_batch_is_refused_as_malformed(client: TestClient) -> None:
    response = client.post(f"{SO}/$batch", content=b"")
    assert response.status_code == 400
    assert "multipart/mixed" in response.json()["error"]["message"]["value"]


def test_admin_clock_needs_the_token(app: FastAPI, admin_client: TestClient) -> None:
    assert TestClient(app).get("/__admin/clock").status_code == 401
    before = admin_client.get("/__admin/clock").json()["now"]
    after = admin_client.post("/__admin/clock/advance", json={"minutes": 30}).json()["now"]
    assert after > before


def test_reset_discards_documents(client: TestClient, admin_client: TestClient,
                                  universe: SeedUniverse) -> None:
    client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000001",
        "to_Item": [{"Material": universe.products[0].sku, "RequestedQuantity": "1"}],
    })
    assert client.get(f"{SO}/A_SalesOrder/$count").text == "1"
    admin_client.post("/__admin/reset")
    assert client.get(f"{SO}/A_SalesOrder/$count").text == "0"


def test_file_database_survives_a_restart(tmp_path: Path, universe: SeedUniverse) -> None:
    settings = ErpSettings(database=str(tmp_path / "erp.sqlite"), clock_speed=0)
    first = create_app(settings, universe)
    with TestClient(first) as client:
        client.auth = ("CAUSEWAY", "causeway")
        token = client.get(f"{SO}/", headers={"x-csrf-token": "Fetch"}).headers["x-csrf-token"]
        client.post(f"{SO}/A_SalesOrder", headers={"x-csrf-token": token}, json={
            "SoldToParty": "10000001",
            "to_Item": [{"Material": universe.products[0].sku, "RequestedQuantity": "1"}],
        })
    first.state.erp.store.close()
    second = create_app(settings, universe)
    with TestClient(second) as client:
        client.auth = ("CAUSEWAY", "causeway")
        assert client.get(f"{SO}/A_SalesOrder/$count").text == "1"
        assert client.get(f"{BP}/A_BusinessPartner/$count").text == "12"
    second.state.erp.store.close()


def test_release_credit_of_unknown_order_is_404(admin_client: TestClient) -> None:
    assert admin_client.post("/__admin/sales-orders/42/release-credit").status_code == 404


def test_injected_faults_speak_the_odata_dialect(
    client: TestClient, admin_client: TestClient
) -> None:
    admin_client.put("/__admin/faults", json={"error_rates": {"503": 1.0}, "retry_after_s": 7})
    response = client.get(f"{BP}/A_BusinessPartner")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "SERVER_UNAVAILABLE"
    assert admin_client.get("/__admin/health").status_code == 200


def test_head_with_fetch_returns_token_and_session_cookie(app: FastAPI) -> None:
    with TestClient(app) as fresh:
        fresh.auth = ("CAUSEWAY", "causeway")
        plain = fresh.get(f"{BP}/")
        fetched = fresh.head(f"{BP}/", headers={"x-csrf-token": "Fetch"})
    assert "x-csrf-token" not in plain.headers
    assert fetched.headers["x-csrf-token"]
    assert "SAP_SESSIONID_CWY_100" in fetched.headers["set-cookie"]
