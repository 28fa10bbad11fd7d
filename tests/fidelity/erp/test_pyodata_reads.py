"""SAP's pyodata client reads from the ERP sandbox exactly as from S/4HANA."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyodata
import pytest
import requests

from causeway.sandbox.server import RunningServer
from tests.fidelity.erp.conftest import PAGE_SIZE, service_url

SERVICES = {
    "API_BUSINESS_PARTNER": ("A_BusinessPartner", "A_BusinessPartnerAddress", "A_Customer"),
    "API_PRODUCT_SRV": ("A_Product", "A_ProductDescription", "A_ProductPlant"),
    "API_SALES_ORDER_SRV": ("A_SalesOrder", "A_SalesOrderItem", "A_SalesOrderScheduleLine"),
    "API_BILLING_DOCUMENT_SRV": ("A_BillingDocument", "A_BillingDocumentItem"),
    "API_OUTBOUND_DELIVERY_SRV;v=0002": ("A_OutbDeliveryHeader", "A_OutbDeliveryItem"),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_metadata_parses_without_warnings(odata: Callable[[str], Any], service: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = odata(service)
    names = {entity_set.name for entity_set in client.schema.entity_sets}
    assert set(SERVICES[service]) <= names


def test_filter_with_startswith_and_or(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    everyone = partners.get_entities().execute()
    letter = everyone[0].SearchTerm1[0]
    found = (
        partners.get_entities()
        .filter(f"startswith(SearchTerm1,'{letter}') or BusinessPartner eq '10000002'")
        .execute()
    )
    expected = {
        p.BusinessPartner
        for p in everyone
        if p.SearchTerm1.startswith(letter) or p.BusinessPartner == "10000002"
    }
    assert {p.BusinessPartner for p in found} == expected


def test_filter_on_last_change_datetime(odata: Callable[[str], Any]) -> None:
    products = odata("API_PRODUCT_SRV").entity_sets.A_Product
    query = products.get_entities()
    recent = query.filter(query.LastChangeDateTime > datetime(2000, 1, 1, tzinfo=UTC)).execute()
    future = products.get_entities()
    none = future.filter(future.LastChangeDateTime > datetime(2999, 1, 1, tzinfo=UTC)).execute()
    assert len(recent) == 6
    assert len(none) == 0
    assert recent[0].LastChangeDateTime.tzinfo is not None


def test_select_returns_only_the_named_properties(erp_server: RunningServer,
                                                   http: requests.Session) -> None:
    url = service_url(erp_server, "API_PRODUCT_SRV") + "A_Product"
    body = http.get(url, params={"$select": "Product,BaseUnit", "$format": "json"}).json()
    first = body["d"]["results"][0]
    assert set(first) == {"__metadata", "Product", "BaseUnit"}


def test_expand_two_levels(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    partner = (
        partners.get_entity("10000001")
        .expand("to_BusinessPartnerAddress,to_Customer/to_CustomerSalesArea")
        .execute()
    )
    assert partner.to_BusinessPartnerAddress[0].Country
    assert partner.to_Customer.Customer == "10000001"
    assert partner.to_Customer.to_CustomerSalesArea[0].Currency


def test_top_skip_and_orderby(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    ordered = partners.get_entities().order_by("BusinessPartner desc").top(3).skip(1).execute()
    assert [p.BusinessPartner for p in ordered] == ["10000029", "10000028", "10000027"]


def test_count_and_inline_count(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    assert partners.get_entities().count().execute() == 30
    page = partners.get_entities().count(inline=True).top(2).execute()
    assert page.total_count == 30
    assert len(page) == 2


def test_server_paging_follows_next_to_the_end(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    page = partners.get_entities().execute()
    seen = [p.BusinessPartner for p in page]
    assert len(page) == PAGE_SIZE
    while page.next_url:
        page = partners.get_entities().next_url(page.next_url).execute()
        seen += [p.BusinessPartner for p in page]
    assert len(seen) == len(set(seen)) == 30


def test_get_by_key_and_composite_key(odata: Callable[[str], Any]) -> None:
    service = odata("API_BUSINESS_PARTNER")
    partner = service.entity_sets.A_BusinessPartner.get_entity("10000003").execute()
    address_id = (
        service.entity_sets.A_BusinessPartner.get_entity("10000003")
        .nav("to_BusinessPartnerAddress").get_entities().execute()[0].AddressID
    )
    address = service.entity_sets.A_BusinessPartnerAddress.get_entity(
        BusinessPartner="10000003", AddressID=address_id
    ).execute()
    assert partner.BusinessPartnerCategory == "2"
    assert address.BusinessPartner == "10000003"


def test_unknown_key_is_an_http_error_with_odata_body(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    with pytest.raises(pyodata.exceptions.HttpError) as raised:
        partners.get_entity("99999999").execute()
    assert raised.value.response.status_code == 404
    error = raised.value.response.json()["error"]
    assert error["message"]["lang"] == "en"
    assert "99999999" in error["message"]["value"]


def test_bad_filter_names_the_position(erp_server: RunningServer, http: requests.Session) -> None:
    url = service_url(erp_server, "API_SALES_ORDER_SRV") + "A_SalesOrder"
    response = http.get(url, params={"$filter": "SalesOrder eq 'x' and", "$format": "json"})
    assert response.status_code == 400
    assert "position 21" in response.json()["error"]["message"]["value"]


def test_logon_without_credentials_is_challenged(erp_server: RunningServer) -> None:
    response = requests.get(service_url(erp_server, "API_PRODUCT_SRV") + "$metadata", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
