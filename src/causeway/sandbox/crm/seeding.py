"""Load a SeedUniverse into the org: accounts, contacts, products with standard prices.

Ids come from per-object counters that a reset restarts, so the same seed always yields
the same record ids; external ids stay empty for the middleware to fill.
"""

from __future__ import annotations

from causeway.sandbox.crm.ids import USER_ID_PREFIX, make_id
from causeway.sandbox.crm.store import CrmStore, Transaction
from causeway.sandbox.seed import SeedUniverse

INTEGRATION_USER_ID = make_id(USER_ID_PREFIX, 1)
_UNITS = {"EA": "Each", "PC": "Piece", "KG": "Kilogram", "H": "Hour"}


def seed_org(store: CrmStore, universe: SeedUniverse | None, username: str) -> dict[str, str]:
    """Empty the org and fill it with the integration user, the standard price book and
    the universe's CRM side; returns seed key -> Account id."""
    store.clear()
    with store.transaction(silent=True) as tx:
        user_id = store.seed_record(
            tx,
            "User",
            {
                "FirstName": "Integration",
                "LastName": "User",
                "Username": username,
                "Email": username,
                "IsActive": True,
            },
        )
        if user_id != INTEGRATION_USER_ID:
            raise RuntimeError(
                f"the integration user got id {user_id}, expected {INTEGRATION_USER_ID}"
            )
        pricebook_id = store.seed_record(
            tx,
            "Pricebook2",
            {
                "Name": "Standard Price Book",
                "IsActive": True,
                "IsStandard": True,
                "Description": "Standard prices for every product",
            },
        )
        if universe is not None:
            return _load(store, tx, universe, pricebook_id)
    return {}


def _load(
    store: CrmStore, tx: Transaction, universe: SeedUniverse, pricebook_id: str
) -> dict[str, str]:
    account_ids: dict[str, str] = {}
    for company in universe.crm_accounts:
        address = company.address
        account_ids[company.key] = store.create(
            tx,
            "Account",
            {
                "Name": company.name,
                "BillingStreet": address.street,
                "BillingCity": address.city,
                "BillingPostalCode": address.postal_code,
                "BillingState": address.region or None,
                "BillingCountryCode": address.country,
                "Phone": company.phone,
                "Website": company.website,
                "Industry": company.industry,
                "AnnualRevenue": float(company.annual_revenue),
                "CurrencyIsoCode": company.currency,
                "Type": "Customer - Direct",
            },
        )
    for contact in universe.crm_contacts:
        store.create(
            tx,
            "Contact",
            {
                "AccountId": account_ids.get(contact.company_key),
                "FirstName": contact.first_name,
                "LastName": contact.last_name,
                "Email": contact.email,
                "Phone": contact.phone,
                "Title": contact.title,
            },
        )
    for product in universe.products:
        product_id = store.create(
            tx,
            "Product2",
            {
                "Name": product.name,
                "ProductCode": product.sku,
                "StockKeepingUnit": product.sku,
                "Description": product.description,
                "Family": product.family,
                "IsActive": True,
                "QuantityUnitOfMeasure": _UNITS.get(product.uom, "Each"),
                "CurrencyIsoCode": product.currency,
                "Weight_Kg__c": float(product.weight_kg),
            },
        )
        store.create(
            tx,
            "PricebookEntry",
            {
                "Pricebook2Id": pricebook_id,
                "Product2Id": product_id,
                "UnitPrice": float(product.list_price),
                "IsActive": True,
                "CurrencyIsoCode": product.currency,
            },
        )
    return account_ids
