"""SAP's pyodata client maintains sales prices in the ERP sandbox as in S/4HANA."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyodata
import pytest

from causeway.sandbox.seed import SeedUniverse

SERVICE = "API_SLSPRICINGCONDITIONRECORD_SRV"


def test_metadata_parses_without_warnings(odata: Callable[[str], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = odata(SERVICE)
    names = {entity_set.name for entity_set in client.schema.entity_sets}
    assert {"A_SlsPrcgConditionRecord", "A_SlsPrcgCndnRecdValidity"} <= names
    record = client.schema.entity_type("A_SlsPrcgConditionRecordType")
    assert [key.name for key in record.key_proprties] == ["ConditionRecord"]
    validity = client.schema.entity_type("A_SlsPrcgCndnRecdValidityType")
    assert [key.name for key in validity.key_proprties] == [
        "ConditionRecord",
        "ConditionValidityEndDate",
    ]


def test_list_prices_are_read_with_their_validity(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    records = odata(SERVICE).entity_sets.A_SlsPrcgConditionRecord
    query = records.get_entities()
    changed = (
        query.filter(query.YY1_LastChangeDateTime > datetime(2000, 1, 1, tzinfo=UTC))
        .expand("to_SlsPrcgCndnRecdValidity")
        .execute()
    )
    later = records.get_entities()
    none = later.filter(later.YY1_LastChangeDateTime > datetime(2999, 1, 1, tzinfo=UTC)).execute()
    prices = {
        record.to_SlsPrcgCndnRecdValidity[0].Material: record
        for record in changed
        if record.ConditionType == "PPR0"
    }
    assert none == []
    assert set(prices) == {goods.sku for goods in universe.products}
    for goods in universe.products:
        record = prices[goods.sku]
        assert Decimal(record.ConditionRateValue) == goods.list_price
        assert record.ConditionRateValueUnit == goods.currency
        assert record.ConditionIsDeleted is False
        validity = record.to_SlsPrcgCndnRecdValidity[0]
        assert (validity.SalesOrganization, validity.DistributionChannel) == ("1010", "10")
        assert validity.ConditionValidityEndDate.year == 9999


def test_create_change_and_delete_a_price(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    client = odata(SERVICE)
    records = client.entity_sets.A_SlsPrcgConditionRecord
    material = universe.products[0].sku
    created = (
        records.create_entity()
        .set(
            ConditionType="PPR0",
            ConditionRateValue="49.90",
            ConditionRateValueUnit="EUR",
            to_SlsPrcgCndnRecdValidity=[
                {
                    "SalesOrganization": "1710",
                    "DistributionChannel": "10",
                    "Material": material,
                    "ConditionValidityStartDate": datetime(2025, 1, 1, tzinfo=UTC),
                }
            ],
        )
        .execute()
    )
    number = created.ConditionRecord
    records.update_entity(ConditionRecord=number).set(
        ConditionRateValue="52.00"
    ).execute()
    records.update_entity(ConditionRecord=number).set(ConditionIsDeleted=True).execute()
    again = records.get_entity(number).execute()
    validity = client.entity_sets.A_SlsPrcgCndnRecdValidity.get_entities().filter(
        f"ConditionRecord eq '{number}'"
    ).execute()
    back = (
        client.entity_sets.A_SlsPrcgCndnRecdValidity.get_entity(
            ConditionRecord=number, ConditionValidityEndDate=validity[0].ConditionValidityEndDate
        )
        .nav("to_SlsPrcgConditionRecord")
        .execute()
    )
    assert len(number) == 10
    assert number.isdigit()
    assert created.ConditionTable == "304"
    assert Decimal(again.ConditionRateValue) == Decimal("52.00")
    assert again.ConditionIsDeleted is True
    assert again.ConditionCurrency == "EUR"
    assert validity[0].Material == material
    assert back.ConditionRecord == number


def test_a_bad_price_is_refused_naming_the_property(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    records = odata(SERVICE).entity_sets.A_SlsPrcgConditionRecord
    request = records.create_entity().set(
        ConditionType="PPR0",
        ConditionRateValue="10",
        ConditionRateValueUnit="EUR",
        to_SlsPrcgCndnRecdValidity=[
            {"SalesOrganization": "1010", "DistributionChannel": "10", "Material": "NO-SUCH"}
        ],
    )
    with pytest.raises(pyodata.exceptions.HttpError) as raised:
        request.execute()
    assert raised.value.response.status_code == 400
    details = raised.value.response.json()["error"]["innererror"]["errordetails"]
    assert details[0]["target"] == "Material"
