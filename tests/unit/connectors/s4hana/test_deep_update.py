from __future__ import annotations

import pytest

from causeway.connectors.errors import InvalidRecordError
from causeway.connectors.s4hana.deep_update import expand_paths, plan_patches

CURRENT = {
    "__metadata": {"uri": "http://erp/A_BusinessPartner('1')"},
    "OrganizationBPName1": "Acme",
    "to_BusinessPartnerAddress": {
        "results": [
            {
                "__metadata": {
                    "uri": "http://erp/A_BusinessPartnerAddress(BusinessPartner='1',AddressID='7')"
                },
                "CityName": "Berlin",
                "PostalCode": "10115",
            }
        ]
    },
    "to_Customer": {
        "__metadata": {"uri": "http://erp/A_Customer('1')"},
        "to_CustomerSalesArea": {
            "results": [
                {"__metadata": {"uri": "http://erp/A_CustomerSalesArea(x)"}, "Currency": "EUR"}
            ]
        },
    },
}


def test_expand_paths_follow_the_payload() -> None:
    payload = {
        "OrganizationBPName1": "Acme",
        "to_BusinessPartnerAddress": [{"CityName": "Bonn"}],
        "to_Customer": {"to_CustomerSalesArea": [{"Currency": "USD"}]},
    }
    assert expand_paths(payload) == [
        "to_BusinessPartnerAddress",
        "to_Customer",
        "to_Customer/to_CustomerSalesArea",
    ]


def test_only_entities_that_differ_are_patched_by_their_own_uri() -> None:
    payload = {
        "OrganizationBPName1": "Acme",
        "to_BusinessPartnerAddress": [{"CityName": "Bonn", "PostalCode": "10115"}],
        "to_Customer": {"to_CustomerSalesArea": [{"Currency": "USD"}]},
    }
    patches = plan_patches(payload, CURRENT, "", "1")
    assert [(p.uri.split("/")[-1], p.fields) for p in patches] == [
        ("A_BusinessPartnerAddress(BusinessPartner='1',AddressID='7')", {"CityName": "Bonn"}),
        ("A_CustomerSalesArea(x)", {"Currency": "USD"}),
    ]


def test_nothing_to_patch_when_everything_matches() -> None:
    assert plan_patches({"OrganizationBPName1": "Acme"}, CURRENT, "", "1") == []


def test_a_missing_child_is_an_invalid_record_naming_the_path() -> None:
    payload = {"to_BusinessPartnerAddress": [{"CityName": "A"}, {"CityName": "B"}]}
    with pytest.raises(InvalidRecordError) as caught:
        plan_patches(payload, CURRENT, "", "1")
    assert caught.value.field == "to_BusinessPartnerAddress[1]"
