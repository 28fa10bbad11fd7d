"""pyodata writes to the ERP sandbox: deep insert, PATCH/MERGE, CSRF and ETags."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyodata
import pytest
import requests

from causeway.sandbox.seed import SeedUniverse
from causeway.sandbox.server import RunningServer
from tests.fidelity.erp.conftest import PASSWORD, USER, service_url


def test_deep_insert_of_sales_order_with_items(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    orders = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrder
    materials = [product.sku for product in universe.products[:2]]
    created = (
        orders.create_entity()
        .set(
            SoldToParty="10000004",
            PurchaseOrderByCustomer="PO-4711",
            to_Item=[
                {"Material": materials[0], "RequestedQuantity": "2"},
                {"Material": materials[1], "RequestedQuantity": "1.5"},
            ],
        )
        .execute()
    )
    items = orders.get_entity(created.SalesOrder).nav("to_Item").get_entities().execute()
    assert created.SalesOrder == "1"
    assert [item.SalesOrderItem for item in items] == ["10", "20"]
    assert sum(Decimal(item.NetAmount) for item in items) == Decimal(created.TotalNetAmount)


def test_patch_and_merge_business_partner(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]]
) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    before = partners.get_entity("10000005").execute()
    admin("clock/advance", {"minutes": 90})
    partners.update_entity(BusinessPartner="10000005").set(
        OrganizationBPName1="Harbour Pumps"
    ).execute()
    partners.update_entity(BusinessPartner="10000005", method="MERGE").set(
        OrganizationBPName2="Holding"
    ).execute()
    after = partners.get_entity("10000005").execute()
    assert after.BusinessPartnerFullName == "Harbour Pumps Holding"
    assert after.LastChangeTime != before.LastChangeTime


def test_csrf_token_from_fetch_lets_pyodata_write(odata: Callable[[str], Any]) -> None:
    addresses = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartnerAddress
    created = (
        addresses.create_entity()
        .set(BusinessPartner="10000006", Country="DE", CityName="Bremen", StreetName="Am Hafen")
        .execute()
    )
    assert created.AddressID


def test_write_without_csrf_token_is_refused(erp_server: RunningServer) -> None:
    response = requests.post(
        service_url(erp_server, "API_BUSINESS_PARTNER") + "A_BusinessPartnerAddress",
        json={"BusinessPartner": "10000006", "Country": "DE"},
        auth=(USER, PASSWORD),
        timeout=10,
    )
    assert response.status_code == 403
    assert response.headers["x-csrf-token"] == "Required"
    assert response.text == "CSRF token validation failed"


def test_validation_error_names_the_property(odata: Callable[[str], Any]) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    with pytest.raises(pyodata.exceptions.HttpError) as raised:
        partners.update_entity(BusinessPartner="10000007").set(SearchTerm1="X" * 21).execute()
    error = raised.value.response.json()["error"]
    assert raised.value.response.status_code == 400
    assert "SearchTerm1" in error["message"]["value"]
    assert error["innererror"]["errordetails"][0]["target"] == "SearchTerm1"


def test_if_match_with_a_stale_etag_fails(
    erp_server: RunningServer, http: requests.Session, universe: SeedUniverse
) -> None:
    root = service_url(erp_server, "API_SALES_ORDER_SRV")
    created = http.post(
        root + "A_SalesOrder",
        json={"SoldToParty": "10000008",
              "to_Item": [{"Material": universe.products[0].sku, "RequestedQuantity": "1"}]},
    )
    etag = created.headers["ETag"]
    fresh = http.patch(root + "A_SalesOrder('1')", json={"PurchaseOrderByCustomer": "A"},
                       headers={"If-Match": etag})
    stale = http.patch(root + "A_SalesOrder('1')", json={"PurchaseOrderByCustomer": "B"},
                       headers={"If-Match": 'W/"datetimeoffset\'2000-01-01T00:00:00.0000000Z\'"'})
    assert fresh.status_code == 204
    assert stale.status_code == 412
