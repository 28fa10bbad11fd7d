"""The list price mappings: S/4HANA ListPrice in, Salesforce PricebookEntry out and back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.canonical.product import PriceListEntry
from causeway.mapping.errors import MissingRequiredError, UnresolvedLookupError
from causeway.mapping.loader import MappingCatalog
from causeway.mapping.xref import MemoryXref


def _list_price(**changes: Any) -> dict[str, Any]:
    validity = {
        "ConditionRecord": "0000000007",
        "SalesOrganization": "1010",
        "DistributionChannel": "10",
        "Customer": "",
        "Material": "MAT-000001",
    }
    validity |= changes.pop("validity", {})
    record = {
        "ConditionRecord": "0000000007",
        "ConditionType": "PPR0",
        "ConditionRateValue": "1234.500000000",
        "ConditionRateValueUnit": "usd",
        "ConditionCurrency": "USD",
        "ConditionQuantity": "1",
        "ConditionQuantityUnit": "EA",
        "ConditionValidityStartDate": "/Date(1704067200000)/",
        "ConditionValidityEndDate": "/Date(253402214400000)/",
        "ConditionIsDeleted": False,
        "YY1_LastChangeDateTime": "/Date(1717236000000+0000)/",
        "to_SlsPrcgCndnRecdValidity": {"results": [validity]},
        "InForce": True,
    }
    return record | changes


def _entry(**changes: Any) -> dict[str, Any]:
    record = {
        "Id": "01u000000000001AAA",
        "Causeway_Id__c": "c-7",
        "ERP_Price_List__c": "1010/10 USD",
        "ProductCode": "MAT-000001",
        "Product2Id": "01t000000000001AAA",
        "Pricebook2Id": "01s000000000002AAA",
        "UnitPrice": 1234.5,
        "CurrencyIsoCode": "USD",
        "IsActive": True,
        "LastModifiedDate": "2024-06-01T10:00:00.000+0000",
    }
    return record | changes


def _products() -> MemoryXref:
    xref = MemoryXref()
    xref.link("product", "s4hana", "MAT-000001", "salesforce", "01t000000000001AAA")
    return xref


def test_erp_list_price_to_canonical(shipped: MappingCatalog) -> None:
    entry = shipped.get("s4hana", "ListPrice", "price_list_entry").to_canonical(_list_price())
    assert isinstance(entry, PriceListEntry)
    assert entry.price_list == "1010/10 USD"
    assert entry.sku == "MAT-000001"
    assert (entry.unit_price.amount, entry.unit_price.currency) == (Decimal("1234.5"), "USD")
    assert (entry.valid_from, entry.valid_to) == (date(2024, 1, 1), date(9999, 12, 31))
    assert entry.uom == "EA"
    assert entry.active is True


def test_a_rate_per_pricing_unit_becomes_a_unit_price(shipped: MappingCatalog) -> None:
    mapping = shipped.get("s4hana", "ListPrice", "price_list_entry")
    entry = mapping.to_canonical(_list_price(ConditionRateValue="250", ConditionQuantity="100"))
    assert isinstance(entry, PriceListEntry)
    assert entry.unit_price.amount == Decimal("2.5")


def test_a_price_not_in_force_is_inactive(shipped: MappingCatalog) -> None:
    mapping = shipped.get("s4hana", "ListPrice", "price_list_entry")
    entry = mapping.to_canonical(_list_price(ConditionIsDeleted=True, InForce=False))
    assert isinstance(entry, PriceListEntry)
    assert entry.active is False


def test_a_condition_without_material_names_the_field(shipped: MappingCatalog) -> None:
    mapping = shipped.get("s4hana", "ListPrice", "price_list_entry")
    with pytest.raises(MissingRequiredError) as raised:
        mapping.to_canonical(_list_price(validity={"Material": None}))
    assert raised.value.field == "sku"
    assert "0000000007" in raised.value.describe()


def test_entry_for_salesforce_looks_its_product_up(shipped: MappingCatalog) -> None:
    erp = shipped.get("s4hana", "ListPrice", "price_list_entry")
    crm = shipped.get("salesforce", "PricebookEntry", "price_list_entry")
    payload = crm.to_system(erp.to_canonical(_list_price()), xref=_products())
    assert payload == {
        "Product2Id": "01t000000000001AAA",
        "ERP_Price_List__c": "1010/10 USD",
        "UnitPrice": 1234.5,
        "CurrencyIsoCode": "USD",
        "IsActive": True,
    }
    # Nothing is ever written to the ERP.
    assert erp.accepts == ()


def test_an_unsynced_product_defers_the_price(shipped: MappingCatalog) -> None:
    erp = shipped.get("s4hana", "ListPrice", "price_list_entry")
    crm = shipped.get("salesforce", "PricebookEntry", "price_list_entry")
    entry = erp.to_canonical(_list_price(validity={"Material": "MAT-NEW"}))
    with pytest.raises(UnresolvedLookupError) as raised:
        crm.to_system(entry, xref=_products())
    assert (raised.value.entity, raised.value.from_id) == ("product", "MAT-NEW")


def test_salesforce_entry_reads_back_as_written(shipped: MappingCatalog) -> None:
    erp = shipped.get("s4hana", "ListPrice", "price_list_entry")
    crm = shipped.get("salesforce", "PricebookEntry", "price_list_entry")
    read_back = crm.to_canonical(_entry())
    assert isinstance(read_back, PriceListEntry)
    assert read_back.id == "c-7"
    assert read_back.external_ids == {"salesforce": "01u000000000001AAA"}
    fields = ("price_list", "sku", "unit_price", "active")
    assert read_back.model_dump(include=set(fields)) == erp.to_canonical(
        _list_price()
    ).model_dump(include=set(fields))


@given(
    cents=st.integers(min_value=0, max_value=10**11),
    currency=st.sampled_from(["USD", "EUR", "GBP", "CHF"]),
)
def test_an_echo_compares_equal_whatever_the_amount(
    shipped: MappingCatalog, cents: int, currency: str
) -> None:
    """The ERP's Edm.Decimal text and Salesforce's JSON number give the same canonical value,
    so the echo of a written price never looks like an edit."""
    erp = shipped.get("s4hana", "ListPrice", "price_list_entry")
    crm = shipped.get("salesforce", "PricebookEntry", "price_list_entry")
    amount = Decimal(cents) / 100
    written = erp.to_canonical(
        _list_price(ConditionRateValue=f"{amount:.9f}", ConditionRateValueUnit=currency)
    )
    payload = crm.to_system(written, xref=_products())
    echo = crm.to_canonical(
        _entry(UnitPrice=payload["UnitPrice"], CurrencyIsoCode=payload["CurrencyIsoCode"],
               ERP_Price_List__c=payload["ERP_Price_List__c"])
    )
    assert echo.model_dump(mode="json")["unit_price"] == written.model_dump(mode="json")[
        "unit_price"
    ]
