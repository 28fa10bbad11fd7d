"""The shipped mappings load cleanly and translate realistic records of each system."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from causeway.canonical.party import AddressRole, Contact, Customer, CustomerStatus
from causeway.canonical.product import Product
from causeway.canonical.sales import SalesOrder, SalesOrderStatus
from causeway.mapping.errors import UnresolvedLookupError
from causeway.mapping.loader import MappingCatalog, shipped_mappings_folder
from causeway.mapping.validate import validate_configuration
from causeway.mapping.xref import CANONICAL_SYSTEM, MemoryXref


def test_shipped_configuration_has_no_issues() -> None:
    assert validate_configuration(shipped_mappings_folder()) == []


def test_catalogue_holds_every_shipped_mapping(shipped: MappingCatalog) -> None:
    assert sorted(m.key for m in shipped) == [
        ("s4hana", "A_BusinessPartner", "customer"),
        ("s4hana", "A_Product", "product"),
        ("s4hana", "A_SalesOrder", "sales_order"),
        ("s4hana", "ContactPerson", "contact"),
        ("s4hana", "ListPrice", "price_list_entry"),
        ("salesforce", "Account", "customer"),
        ("salesforce", "Contact", "contact"),
        ("salesforce", "Order", "sales_order"),
        ("salesforce", "PricebookEntry", "price_list_entry"),
        ("salesforce", "Product2", "product"),
        ("tryton", "party.party", "customer"),
        ("tryton", "product.template", "product"),
    ]
    assert [m.object_name for m in shipped.for_system("salesforce", "customer")] == ["Account"]


def test_salesforce_account(shipped: MappingCatalog) -> None:
    mapping = shipped.get("salesforce", "Account", "customer")
    customer = mapping.to_canonical({
        "attributes": {"type": "Account"}, "Id": "001000000000001AAA", "Name": "Acme GmbH",
        "BillingStreet": "Hauptstrasse 12a", "BillingCity": "Berlin",
        "BillingPostalCode": "10115", "BillingState": "BE", "BillingCountryCode": "DE",
        "Phone": "+49 30 1234567", "Website": "https://acme.example", "Industry": "Machinery",
        "CurrencyIsoCode": "EUR", "ERP_Customer_Number__c": "1000001",
        "Causeway_Id__c": "c-1", "Tax_Id__c": "DE123456789", "Credit_Limit__c": 25000,
        "Payment_Terms__c": "Prepayment", "Credit_Block__c": True,
        "LastModifiedDate": "2024-05-01T10:00:00.000+0000",
    })
    assert isinstance(customer, Customer)
    assert customer.external_ids == {"salesforce": "001000000000001AAA", "s4hana": "1000001"}
    billing = customer.address(AddressRole.BILLING)
    assert billing is not None
    assert (billing.street, billing.house_number) == ("Hauptstrasse", "12a")
    assert customer.address(AddressRole.SHIPPING) is None
    assert customer.tax_ids[0].value == "DE123456789"
    assert (customer.payment_terms, customer.status) == ("PREP", CustomerStatus.BLOCKED)
    payload = mapping.to_system(customer)
    assert payload["BillingStreet"] == "Hauptstrasse 12a"
    assert payload["Payment_Terms__c"] == "Prepayment"
    assert payload["Credit_Block__c"] is True
    assert payload["Credit_Limit__c"] == 25000
    assert set(payload) == set(mapping.accepts)


def test_salesforce_contact_waits_for_its_account(shipped: MappingCatalog) -> None:
    mapping = shipped.get("salesforce", "Contact", "contact")
    xref = MemoryXref()
    record = {"Id": "003A", "AccountId": "001A", "LastName": "Doe", "Email": "Jane@Example.com"}
    with pytest.raises(UnresolvedLookupError):
        mapping.to_canonical(record, xref=xref)
    xref.link("customer", "salesforce", "001A", CANONICAL_SYSTEM, "c-1")
    contact = mapping.to_canonical(record, xref=xref)
    assert isinstance(contact, Contact)
    assert (contact.customer_id, contact.email) == ("c-1", "jane@example.com")
    assert mapping.to_system(contact, xref=xref)["AccountId"] == "001A"


def test_products_in_both_systems(shipped: MappingCatalog) -> None:
    crm = shipped.get("salesforce", "Product2", "product")
    erp = shipped.get("s4hana", "A_Product", "product")
    from_crm = crm.to_canonical({
        "Id": "01t000000000001AAA", "ProductCode": "PUMP-100", "Name": "Pump 100",
        "Description": "Centrifugal pump", "Family": "Pumps", "QuantityUnitOfMeasure": "Piece",
        "IsActive": True, "ERP_Material__c": "PUMP-100", "Weight_Kg__c": 12.5,
    })
    assert isinstance(from_crm, Product)
    assert (from_crm.uom, from_crm.descriptions) == ("PC", {"en": "Centrifugal pump"})
    assert from_crm.weight is not None
    assert (from_crm.weight.value, from_crm.weight.unit) == (Decimal("12.5"), "KG")
    assert crm.to_system(from_crm)["QuantityUnitOfMeasure"] == "Piece"
    assert crm.to_system(from_crm)["Weight_Kg__c"] == 12.5
    from_erp = erp.to_canonical({
        "Product": "PUMP-100", "ProductType": "HAWA", "BaseUnit": "PC", "ProductGroup": "PUMPS",
        "GrossWeight": "12.500", "WeightUnit": "KG", "IsMarkedForDeletion": False,
        "LastChangeDateTime": "/Date(1714557600000+0000)/",
        "to_Description": {"results": [
            {"Product": "PUMP-100", "Language": "DE", "ProductDescription": "Pumpe 100"},
            {"Product": "PUMP-100", "Language": "EN", "ProductDescription": "Pump 100"},
        ]},
    })
    assert isinstance(from_erp, Product)
    assert from_erp.name == "Pump 100"
    assert from_erp.descriptions == {"de": "Pumpe 100", "en": "Pump 100"}
    assert from_erp.active is True
    payload = erp.to_system(from_erp)
    assert payload["to_Description"] == [{"Language": "EN", "ProductDescription": "Pump 100"}]
    assert (payload["GrossWeight"], payload["IsMarkedForDeletion"]) == ("12.500", False)


def test_s4hana_business_partner(shipped: MappingCatalog) -> None:
    mapping = shipped.get("s4hana", "A_BusinessPartner", "customer")
    customer = mapping.to_canonical({
        "BusinessPartner": "1000001", "BusinessPartnerCategory": "2",
        "OrganizationBPName1": "Acme GmbH", "OrganizationBPName2": "", "SearchTerm1": "ACME",
        "LegalForm": "", "BusinessPartnerIsBlocked": False, "IsMarkedForArchiving": True,
        "to_BusinessPartnerAddress": {"results": [{
            "BusinessPartner": "1000001", "AddressID": "22", "StreetName": "Hauptstrasse",
            "HouseNumber": "12a", "PostalCode": "10115", "CityName": "Berlin", "Region": "BE",
            "Country": "DE",
        }]},
        "to_Customer": {
            "Customer": "1000001", "VATRegistration": "DE123456789",
            "to_CustomerSalesArea": {"results": [{
                "SalesOrganization": "1010", "Currency": "EUR", "CustomerPaymentTerms": "NT30",
                "YY1_CreditLimitAmount": "50000.000",
            }]},
        },
    })
    assert isinstance(customer, Customer)
    assert customer.party.name2 is None
    assert customer.status is CustomerStatus.ARCHIVED
    assert (customer.currency, customer.credit_limit) == ("EUR", Decimal("50000"))
    payload = mapping.to_system(customer)
    assert payload["IsMarkedForArchiving"] is True
    assert payload["to_BusinessPartnerAddress"] == [{
        "StreetName": "Hauptstrasse", "HouseNumber": "12a", "PostalCode": "10115",
        "CityName": "Berlin", "Region": "BE", "Country": "DE",
    }]
    area = payload["to_Customer"]["to_CustomerSalesArea"][0]
    assert (area["SalesOrganization"], area["YY1_CreditLimitAmount"]) == ("1010", "50000.000")


def test_orders_travel_from_the_erp_to_the_crm(shipped: MappingCatalog) -> None:
    erp = shipped.get("s4hana", "A_SalesOrder", "sales_order")
    crm = shipped.get("salesforce", "Order", "sales_order")
    xref = MemoryXref()
    xref.link("customer", "s4hana", "1000001", CANONICAL_SYSTEM, "c-1")
    xref.link("customer", "salesforce", "001A", CANONICAL_SYSTEM, "c-1")
    xref.link("product", "s4hana", "PUMP-100", CANONICAL_SYSTEM, "p-1")
    xref.link("product", "salesforce", "01tA", CANONICAL_SYSTEM, "p-1")
    order = erp.to_canonical({
        "SalesOrder": "5000001", "SoldToParty": "1000001", "TransactionCurrency": "EUR",
        "SalesOrderDate": "/Date(1714521600000)/", "PurchaseOrderByCustomer": "PO-77",
        "OverallSDProcessStatus": "A", "TotalNetAmount": "900.00",
        "LastChangeDateTime": "/Date(1714557600000+0000)/",
        "to_Item": {"results": [{
            "SalesOrderItem": "10", "Material": "PUMP-100", "RequestedQuantity": "3",
            "RequestedQuantityUnit": "PC", "NetAmount": "900.00", "SalesOrderItemText": "",
        }]},
    }, xref=xref)
    assert isinstance(order, SalesOrder)
    assert (order.order_date, order.status) == (date(2024, 5, 1), SalesOrderStatus.OPEN)
    assert order.lines[0].product_id == "p-1"
    payload = crm.to_system(order, xref=xref)
    assert (payload["AccountId"], payload["Status"], payload["ERP_Status__c"]) == (
        "001A", "Activated", "Open",
    )
    assert payload["OrderItems"]["records"] == [{
        "attributes": {"type": "OrderItem"}, "ERP_Item_Number__c": "10", "Product2Id": "01tA",
        "Description": None, "Quantity": 3, "UnitPrice": None, "EndDate": None,
    }]


@pytest.mark.parametrize(("erp_status", "canonical"), [
    ("Credit Block", SalesOrderStatus.OPEN), ("Released", SalesOrderStatus.OPEN),
    ("Partially Delivered", SalesOrderStatus.PARTIALLY_DELIVERED),
    ("Paid", SalesOrderStatus.COMPLETED), ("Cancelled", SalesOrderStatus.CANCELLED),
])
def test_every_status_order_to_cash_writes_on_a_crm_order_is_read(
    shipped: MappingCatalog, erp_status: str, canonical: SalesOrderStatus
) -> None:
    crm = shipped.get("salesforce", "Order", "sales_order")
    xref = MemoryXref()
    xref.link("customer", "salesforce", "001A", CANONICAL_SYSTEM, "c-1")
    order = crm.to_canonical({
        "Id": "801A", "AccountId": "001A", "CurrencyIsoCode": "EUR",
        "EffectiveDate": "2026-12-01", "Status": "Activated", "ERP_Status__c": erp_status,
        "OrderItems": {"records": []},
    }, xref=xref)
    assert isinstance(order, SalesOrder)
    assert order.status == canonical


def test_a_long_name_continues_into_name_2_and_back(shipped: MappingCatalog) -> None:
    mapping = shipped.get("s4hana", "A_BusinessPartner", "customer")
    name = "Costalonga, Ginese e Cutuli e figli Società per Azioni"
    payload = mapping.to_system({"party": {"name": name}, "addresses": []})
    assert len(payload["OrganizationBPName1"]) == 40
    assert payload["OrganizationBPName1"] + payload["OrganizationBPName2"] == name
    back = mapping.to_canonical_data({"BusinessPartner": "1", **payload})
    assert back["party"]["name"] == name
    assert "name2" not in back["party"] or back["party"]["name2"] is None
    short = mapping.to_canonical_data(
        {"BusinessPartner": "2", "OrganizationBPName1": "Acme", "OrganizationBPName2": "Sales"}
    )
    assert (short["party"]["name"], short["party"]["name2"]) == ("Acme", "Sales")
