"""Load the shared seed universe as ERP master data: partners, customers, products, stock,
and each product's PPR0 list price in the default sales area."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from causeway.sandbox.erp.partners import DEFAULT_SALES_AREA, FIRST_ADDRESS, FIRST_PARTNER
from causeway.sandbox.erp.rules.conditions import LIST_PRICE_TABLE, PRICE
from causeway.sandbox.erp.rules.pricing import discount_for_revenue
from causeway.sandbox.erp.services.business_partner import (
    BUSINESS_PARTNER,
    BUSINESS_PARTNER_ADDRESS,
    CUSTOMER,
    CUSTOMER_SALES_AREA,
)
from causeway.sandbox.erp.services.pricing_condition import CONDITION_RECORD, CONDITION_VALIDITY
from causeway.sandbox.erp.services.product import PRODUCT, PRODUCT_DESCRIPTION, PRODUCT_PLANT
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record
from causeway.sandbox.seed import SeedCompany, SeedProduct, SeedUniverse

LIST_PRICES_FROM = datetime(2024, 1, 1, tzinfo=UTC)
"""Start of the seeded list prices' validity (they run to 9999-12-31)."""
_OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
_LEADING_NUMBER = re.compile(r"^(\d+[A-Za-z]?)\s+(.*)$")
_TRAILING_NUMBER = re.compile(r"^(.*?)\s+(\d+[A-Za-z]?)$")


def split_street(street: str) -> tuple[str, str]:
    """(street name, house number) from '123 Main Street' or 'Hauptstr. 5'."""
    first_line = street.splitlines()[0].strip()
    leading = _LEADING_NUMBER.match(first_line)
    if leading:
        return leading.group(2)[:60], leading.group(1)[:10]
    trailing = _TRAILING_NUMBER.match(first_line)
    if trailing:
        return trailing.group(1)[:60], trailing.group(2)[:10]
    return first_line[:60], ""


def load_seed(erp: Erp, universe: SeedUniverse) -> dict[str, str]:
    """Insert the universe's ERP customers and products; returns seed key -> partner number."""
    index: dict[str, str] = {}
    with erp.store.transaction():
        for company in universe.erp_customers:
            index[company.key] = _customer(erp, company)
        for goods in universe.products:
            _product(erp, goods)
    return index


def _customer(erp: Erp, company: SeedCompany) -> str:
    number = str(erp.store.next_number("BusinessPartner", FIRST_PARTNER))
    name = company.name
    partner = blank_record(BUSINESS_PARTNER) | {
        "BusinessPartner": number,
        "Customer": number,
        "BusinessPartnerCategory": "2",
        "BusinessPartnerFullName": name[:81],
        "BusinessPartnerName": name[:81],
        "BusinessPartnerGrouping": "BP02",
        "BusinessPartnerUUID": uuid.uuid4(),
        "CorrespondenceLanguage": "EN",
        "Language": "EN",
        "OrganizationBPName1": name[:40],
        "OrganizationBPName2": name[40:80] or None,
        "SearchTerm1": name.upper()[:20],
        "BusinessPartnerIsBlocked": False,
        "IsMarkedForArchiving": False,
        "ETag": erp.clock.now().strftime("%Y%m%d%H%M%S"),
    }
    erp.stamp(BUSINESS_PARTNER, partner, created=True)
    erp.store.insert(BUSINESS_PARTNER, partner)
    street, house = split_street(company.address.street)
    erp.store.insert(BUSINESS_PARTNER_ADDRESS, blank_record(BUSINESS_PARTNER_ADDRESS) | {
        "BusinessPartner": number,
        "AddressID": str(erp.store.next_number("AddressID", FIRST_ADDRESS)),
        "AddressUUID": uuid.uuid4(),
        "FullName": name[:80],
        "StreetName": street,
        "HouseNumber": house or None,
        "PostalCode": company.address.postal_code[:10],
        "CityName": company.address.city[:40],
        "Region": company.address.region[:3] or None,
        "Country": company.address.country,
        "Language": "EN",
    })
    customer = blank_record(CUSTOMER) | {
        "Customer": number,
        "CustomerName": name[:80],
        "CustomerFullName": name[:220],
        "CustomerAccountGroup": "CUST",
        "TaxNumber1": company.tax_id[:16],
        "VATRegistration": company.tax_id[:20],
        "PostingIsBlocked": False,
        "DeletionIndicator": False,
    }
    erp.stamp(CUSTOMER, customer, created=True)
    erp.store.insert(CUSTOMER, customer)
    organization, channel, division = DEFAULT_SALES_AREA
    erp.store.insert(CUSTOMER_SALES_AREA, blank_record(CUSTOMER_SALES_AREA) | {
        "Customer": number,
        "SalesOrganization": organization,
        "DistributionChannel": channel,
        "Division": division,
        "Currency": company.currency,
        "CustomerPaymentTerms": company.payment_terms[:4],
        "ShippingCondition": "01",
        "YY1_CreditLimitAmount": company.credit_limit,
        "YY1_CreditExposureAmount": Decimal(0),
        "YY1_CustomerDiscountPercent": discount_for_revenue(company.annual_revenue),
        "DeletionIndicator": False,
    })
    return number


def _product(erp: Erp, goods: SeedProduct) -> None:
    services = goods.family == "Services"
    group = re.sub(r"[^A-Z]", "", goods.family.upper())[:9]
    record = blank_record(PRODUCT) | {
        "Product": goods.sku,
        "ProductType": "SERV" if services else "FERT",
        "BaseUnit": goods.uom,
        "ProductGroup": group,
        "GrossWeight": goods.weight_kg,
        "NetWeight": goods.weight_kg,
        "WeightUnit": "KG",
        "Division": "00",
        "IsMarkedForDeletion": False,
        "YY1_ListPrice": goods.list_price,
        "YY1_ListPriceCurrency": goods.currency,
    }
    erp.stamp(PRODUCT, record, created=True)
    erp.store.insert(PRODUCT, record)
    erp.store.insert(PRODUCT_DESCRIPTION, {
        "Product": goods.sku, "Language": "EN", "ProductDescription": goods.name[:40],
    })
    for plant, stock in sorted(goods.plants_stock.items()):
        erp.store.insert(PRODUCT_PLANT, blank_record(PRODUCT_PLANT) | {
            "Product": goods.sku,
            "Plant": plant,
            "BaseUnit": goods.uom,
            "AvailabilityCheckType": "02",
            "MRPType": "PD",
            "IsMarkedForDeletion": False,
            "YY1_UnrestrictedStockQuantity": Decimal(stock),
        })
    _list_price(erp, goods)


def _list_price(erp: Erp, goods: SeedProduct) -> None:
    """The product's PPR0 condition record in the default sales area (what orders charge)."""
    number = f"{erp.store.next_number('ConditionRecord', 1):010d}"
    organization, channel, _division = DEFAULT_SALES_AREA
    record = blank_record(CONDITION_RECORD) | {
        "ConditionRecord": number,
        "ConditionSequentialNumber": "01",
        "ConditionTable": LIST_PRICE_TABLE,
        "ConditionApplication": "V",
        "ConditionType": PRICE,
        "ConditionValidityStartDate": LIST_PRICES_FROM,
        "ConditionValidityEndDate": _OPEN_END,
        "ConditionCalculationType": "C",
        "ConditionRateValue": goods.list_price,
        "ConditionRateValueUnit": goods.currency,
        "ConditionCurrency": goods.currency,
        "ConditionQuantity": Decimal(1),
        "ConditionQuantityUnit": goods.uom,
        "BaseUnit": goods.uom,
        "ConditionIsDeleted": False,
        "ConditionReleaseStatus": "",
    }
    erp.stamp(CONDITION_RECORD, record, created=True)
    record["ETag"] = record["YY1_LastChangeDateTime"].strftime("%Y%m%d%H%M%S.%f")
    erp.store.insert(CONDITION_RECORD, record)
    erp.store.insert(CONDITION_VALIDITY, blank_record(CONDITION_VALIDITY) | {
        "ConditionRecord": number,
        "ConditionValidityEndDate": _OPEN_END,
        "ConditionValidityStartDate": LIST_PRICES_FROM,
        "ConditionApplication": "V",
        "ConditionType": PRICE,
        "ConditionReleaseStatus": "",
        "SalesOrganization": organization,
        "DistributionChannel": channel,
        "Material": goods.sku,
    })
