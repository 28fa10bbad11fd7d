"""The sObjects of the sandbox org: standard sales and service objects plus our custom fields.

Declared once here; describe, validation and SOQL read these definitions.
"""

from __future__ import annotations

from typing import Any

from causeway.sandbox.crm.countries import COUNTRY_NAMES
from causeway.sandbox.crm.schema import Catalog, FieldDef, FieldType, SObjectDef

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "DKK", "NOK", "PLN")


def _f(name: str, kind: FieldType, **options: Any) -> FieldDef:
    return FieldDef(name=name, type=kind, custom=name.endswith("__c"), **options)


def text(name: str, length: int = 255, **options: Any) -> FieldDef:
    """A string field."""
    return _f(name, "string", length=length, **options)


def required(name: str, length: int = 255, **options: Any) -> FieldDef:
    """A string field callers must fill."""
    return _f(name, "string", length=length, nillable=False, **options)


def ext_id(name: str, length: int = 40, unique: bool = True) -> FieldDef:
    """An external-id text field, the key for upserts; unique unless told otherwise."""
    return _f(name, "string", length=length, external_id=True, unique=unique)


def ref(name: str, target: str, relationship: str, **options: Any) -> FieldDef:
    """A lookup to `target`, traversable in SOQL as `relationship`."""
    return _f(name, "reference", length=18, reference_to=(target,),
              relationship_name=relationship, **options)


def pick(name: str, values: tuple[str, ...], restricted: bool = False, **options: Any) -> FieldDef:
    """A picklist; restricted ones reject values not in the list."""
    return _f(name, "picklist", length=255, picklist_values=values,
              restricted_picklist=restricted, **options)


def money(name: str, **options: Any) -> FieldDef:
    """A currency amount."""
    return _f(name, "currency", precision=18, scale=2, **options)


def number(name: str, **options: Any) -> FieldDef:
    """A decimal number."""
    return _f(name, "double", precision=18, scale=2, **options)


def flag(name: str, default: bool = False, **options: Any) -> FieldDef:
    """A checkbox; never null."""
    return _f(name, "boolean", nillable=False, default=default, **options)


def day(name: str, **options: Any) -> FieldDef:
    """A calendar date."""
    return _f(name, "date", **options)


def derived(name: str, kind: FieldType, **options: Any) -> FieldDef:
    """A value the org computes; callers read it but never write it."""
    return _f(name, kind, createable=False, updateable=False, calculated=True, **options)


def auto_number(name: str) -> FieldDef:
    """An auto-number, assigned on insert."""
    return _f(name, "string", length=30, createable=False, updateable=False, nillable=False,
              auto_number=True)


def fixed(definition: FieldDef) -> FieldDef:
    """The same field, settable on insert only (master-detail style)."""
    return FieldDef(**{**definition.__dict__, "updateable": False})


def currency_field() -> FieldDef:
    """CurrencyIsoCode of a multi-currency org."""
    return pick("CurrencyIsoCode", CURRENCIES, restricted=True, default="EUR",
                label="Currency ISO Code")


def address(prefix: str) -> list[FieldDef]:
    """The compound address fields, with State and Country picklists enabled."""
    return [
        _f(f"{prefix}Street", "textarea", length=255),
        text(f"{prefix}City", 40),
        text(f"{prefix}State", 80),
        text(f"{prefix}PostalCode", 20),
        text(f"{prefix}Country", 80),
        text(f"{prefix}StateCode", 10),
        pick(f"{prefix}CountryCode", tuple(COUNTRY_NAMES), restricted=True),
    ]


def system_fields(name_field: FieldDef | None) -> list[FieldDef]:
    """Fields every record carries, maintained by the org."""
    system = [
        _f("Id", "id", length=18, nillable=False, createable=False, updateable=False),
        _f("IsDeleted", "boolean", nillable=False, createable=False, updateable=False),
        _f("CreatedDate", "datetime", nillable=False, createable=False, updateable=False),
        ref("CreatedById", "User", "CreatedBy", nillable=False, createable=False,
            updateable=False),
        _f("LastModifiedDate", "datetime", nillable=False, createable=False, updateable=False),
        ref("LastModifiedById", "User", "LastModifiedBy", nillable=False, createable=False,
            updateable=False),
        _f("SystemModstamp", "datetime", nillable=False, createable=False, updateable=False),
    ]
    return system if name_field is None else [system[0], name_field, *system[1:]]


def sobject(name: str, prefix: str, plural: str, name_field: FieldDef | None,
            fields: list[FieldDef], label: str = "", createable: bool = True) -> SObjectDef:
    """Assemble an sObject from its own fields plus the system fields."""
    if name_field is not None:
        name_field = FieldDef(**{**name_field.__dict__, "name_field": True})
    every = [*system_fields(name_field), *fields]
    return SObjectDef(
        name=name, key_prefix=prefix, label=label or name.removesuffix("__c").replace("_", " "),
        label_plural=plural, fields={f.name: f for f in every}, createable=createable,
        custom=name.endswith("__c"),
    )


INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Other", "Recreation", "Retail", "Shipping", "Technology", "Telecommunications",
    "Transportation", "Utilities",
)
OPPORTUNITY_STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
)
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}
PAYMENT_TERMS = ("NT14", "NT30", "NT45", "NT60", "NT90", "Prepayment")
UNITS = ("Each", "Piece", "Kilogram", "Hour")
RETURN_REASONS = ("Poor Quality", "Damaged in Transit", "Quantity Too Large", "Wrong Item",
                  "No Longer Required")
RETURN_STATUSES = ("Requested", "Needs Attention", "Return Order Created", "Goods Received",
                   "Credited")
LINE_ITEM_FIELDS = [
    number("Quantity", nillable=False),
    money("UnitPrice"),
    derived("ListPrice", "currency"),
    derived("TotalPrice", "currency"),
    _f("Discount", "percent", precision=18, scale=2),
    text("Description", 255),
    day("ServiceDate"),
]


def _objects() -> list[SObjectDef]:
    user = sobject("User", "005", "Users", derived("Name", "string", length=121), [
        text("FirstName", 40, createable=False, updateable=False),
        text("LastName", 80, createable=False, updateable=False),
        text("Username", 80, createable=False, updateable=False),
        text("Email", 128, createable=False, updateable=False),
        flag("IsActive", default=True, createable=False, updateable=False),
    ], createable=False)
    account = sobject("Account", "001", "Accounts", required("Name"), [
        text("AccountNumber", 40),
        pick("Type", ("Prospect", "Customer - Direct", "Customer - Channel",
                      "Channel Partner / Reseller", "Installation Partner",
                      "Technology Partner", "Other")),
        ref("ParentId", "Account", "Parent"),
        ref("MasterRecordId", "Account", "MasterRecord", createable=False, updateable=False),
        *address("Billing"), *address("Shipping"),
        _f("Phone", "phone", length=40), _f("Fax", "phone", length=40),
        _f("Website", "url", length=255),
        pick("Industry", INDUSTRIES),
        money("AnnualRevenue"),
        _f("NumberOfEmployees", "int", precision=8),
        _f("Description", "textarea", length=32000),
        pick("AccountSource", ("Web", "Phone Inquiry", "Partner Referral", "Purchased List",
                               "Other")),
        currency_field(),
        ext_id("ERP_Customer_Number__c", 20),
        ext_id("Causeway_Id__c", 36, unique=False),
        text("Tax_Id__c", 30),
        money("Credit_Limit__c"),
        pick("Payment_Terms__c", PAYMENT_TERMS),
        flag("Credit_Block__c"),
    ])
    contact = sobject("Contact", "003", "Contacts", derived("Name", "string", length=121), [
        ref("AccountId", "Account", "Account"),
        ref("MasterRecordId", "Contact", "MasterRecord", createable=False, updateable=False),
        pick("Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
        text("FirstName", 40),
        required("LastName", 80),
        _f("Email", "email", length=80),
        _f("Phone", "phone", length=40), _f("MobilePhone", "phone", length=40),
        text("Title", 128), text("Department", 80),
        *address("Mailing"),
        _f("Description", "textarea", length=32000),
        currency_field(),
        ext_id("Causeway_Id__c", 36, unique=False),
        ext_id("ERP_Contact_Number__c", 20),
    ])
    product = sobject("Product2", "01t", "Products", required("Name"), [
        text("ProductCode", 255),
        _f("Description", "textarea", length=4000),
        pick("Family", ("Pumps", "Valves", "Motors", "Sensors", "Services", "Spare Parts",
                        "Hardware", "Software")),
        flag("IsActive"),
        pick("QuantityUnitOfMeasure", UNITS),
        text("StockKeepingUnit", 180, unique=True),
        currency_field(),
        ext_id("ERP_Material__c", 40),
        number("Weight_Kg__c"),
    ], label="Product")
    # The standard price book exists in every org (IsStandard is the org's, never writable);
    # a product needs a standard price there before a custom price book may price it (see
    # derived.py). ERP_Price_List__c keys the price books an ERP's price lists become.
    pricebook = sobject("Pricebook2", "01s", "Price Books", required("Name"), [
        flag("IsActive"),
        derived("IsStandard", "boolean", nillable=False),
        _f("Description", "textarea", length=255),
        ext_id("ERP_Price_List__c", 40),
    ], label="Price Book")
    entry = sobject("PricebookEntry", "01u", "Price Book Entries",
                    derived("Name", "string", length=255), [
        fixed(ref("Pricebook2Id", "Pricebook2", "Pricebook2", nillable=False)),
        fixed(ref("Product2Id", "Product2", "Product2", nillable=False)),
        money("UnitPrice", nillable=False),
        flag("IsActive"),
        flag("UseStandardPrice"),
        derived("ProductCode", "string", length=255),
        fixed(currency_field()),
        ext_id("Causeway_Id__c", 36, unique=False),
        text("ERP_Price_List__c", 40),
    ], label="Price Book Entry")
    opportunity = sobject("Opportunity", "006", "Opportunities", required("Name", 120), [
        ref("AccountId", "Account", "Account"),
        pick("StageName", OPPORTUNITY_STAGES, restricted=True, nillable=False),
        _f("CloseDate", "date", nillable=False),
        money("Amount"),
        _f("Probability", "percent", precision=3),
        pick("Type", ("Existing Customer - Upgrade", "Existing Customer - Replacement",
                      "Existing Customer - Downgrade", "New Customer")),
        pick("LeadSource", ("Web", "Phone Inquiry", "Partner Referral", "Purchased List",
                            "Other")),
        text("NextStep", 255),
        _f("Description", "textarea", length=32000),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
        ref("SyncedQuoteId", "Quote", "SyncedQuote"),
        derived("IsClosed", "boolean", nillable=False),
        derived("IsWon", "boolean", nillable=False),
        currency_field(),
        ext_id("Causeway_Id__c", 36, unique=False),
    ])
    opportunity_line = sobject("OpportunityLineItem", "00k", "Opportunity Product",
                               derived("Name", "string", length=376), [
        fixed(ref("OpportunityId", "Opportunity", "Opportunity", nillable=False)),
        fixed(ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", nillable=False)),
        fixed(ref("Product2Id", "Product2", "Product2")),
        derived("ProductCode", "string", length=255),
        *LINE_ITEM_FIELDS,
    ], label="Opportunity Product")
    quote = sobject("Quote", "0Q0", "Quotes", required("Name"), [
        fixed(ref("OpportunityId", "Opportunity", "Opportunity", nillable=False)),
        derived("AccountId", "reference", length=18, reference_to=("Account",),
                relationship_name="Account"),
        ref("ContactId", "Contact", "Contact"),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
        auto_number("QuoteNumber"),
        pick("Status", ("Draft", "Needs Review", "In Review", "Approved", "Rejected",
                        "Presented", "Accepted", "Denied"), default="Draft"),
        day("ExpirationDate"),
        _f("Description", "textarea", length=32000),
        derived("Subtotal", "currency"), derived("TotalPrice", "currency"),
        derived("GrandTotal", "currency"),
        text("BillingName", 255), *address("Billing"),
        currency_field(),
        ext_id("ERP_Quotation__c", 20),
    ])
    quote_line = sobject("QuoteLineItem", "0QL", "Quote Line Items",
                         auto_number("LineNumber"), [
        fixed(ref("QuoteId", "Quote", "Quote", nillable=False)),
        fixed(ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", nillable=False)),
        fixed(ref("Product2Id", "Product2", "Product2")),
        derived("Subtotal", "currency"),
        *LINE_ITEM_FIELDS,
    ], label="Quote Line Item")
    order = sobject("Order", "801", "Orders", auto_number("OrderNumber"), [
        ref("AccountId", "Account", "Account", nillable=False),
        _f("EffectiveDate", "date", nillable=False),
        day("EndDate"),
        # Status categories as Salesforce has them: an activated order can be cancelled.
        pick("Status", ("Draft", "Activated", "Cancelled"), restricted=True, nillable=False),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
        ref("OpportunityId", "Opportunity", "Opportunity"),
        ref("QuoteId", "Quote", "Quote"),
        pick("Type", ("Standard", "Return", "Service")),
        text("PoNumber", 80),
        _f("Description", "textarea", length=32000),
        *address("Billing"), *address("Shipping"),
        derived("TotalAmount", "currency"),
        currency_field(),
        ext_id("ERP_Sales_Order__c", 20),
        ext_id("Causeway_Id__c", 36, unique=False),
        pick("ERP_Status__c", ("Open", "Credit Block", "Released", "In Delivery",
                               "Partially Delivered", "Delivered", "Invoiced", "Paid",
                               "Cancelled")),
    ])
    order_item = sobject("OrderItem", "802", "Order Products", auto_number("OrderItemNumber"), [
        fixed(ref("OrderId", "Order", "Order", nillable=False)),
        fixed(ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", nillable=False)),
        fixed(ref("Product2Id", "Product2", "Product2")),
        *[f for f in LINE_ITEM_FIELDS if f.name not in ("Discount",)],
        day("EndDate"),
        text("ERP_Item_Number__c", 10),
    ], label="Order Product")
    case = sobject("Case", "500", "Cases", auto_number("CaseNumber"), [
        ref("AccountId", "Account", "Account"),
        ref("ContactId", "Contact", "Contact"),
        text("Subject", 255),
        _f("Description", "textarea", length=32000),
        pick("Status", ("New", "Working", "Escalated", "Closed"), nillable=False,
             default="New"),
        pick("Origin", ("Phone", "Email", "Web"), nillable=False),
        pick("Priority", ("High", "Medium", "Low"), default="Medium"),
        pick("Type", ("Mechanical", "Electrical", "Electronic", "Structural", "Other",
                      "Return")),
        pick("Reason", ("Installation", "Equipment Complexity", "Performance",
                        "Breakdown", "Equipment Design", "Feedback", "Other")),
        _f("SuppliedEmail", "email", length=80),
        derived("IsClosed", "boolean", nillable=False),
        derived("ClosedDate", "datetime"),
        currency_field(),
        ext_id("ERP_Return_Order__c", 20),
        ext_id("Causeway_Id__c", 36, unique=False),
        # Returns: what goes back, why, and how far the ERP has got with it.
        ref("Order__c", "Order", "Order__r"),
        ref("Return_Product__c", "Product2", "Return_Product__r"),
        number("Return_Quantity__c"),
        pick("Return_Reason__c", RETURN_REASONS, restricted=True),
        pick("Return_Status__c", RETURN_STATUSES, restricted=True),
        text("Return_Status_Detail__c", 255),
        text("Credit_Memo__c", 20),
        money("Credit_Amount__c"),
    ])
    invoice = sobject("Invoice__c", "a00", "Invoices", required("Name", 80), [
        ref("Account__c", "Account", "Account__r"),
        ref("Order__c", "Order", "Order__r"),
        money("Amount__c"),
        currency_field(),
        pick("Status__c", ("Open", "Partially Paid", "Paid", "Cancelled"), restricted=True),
        day("Due_Date__c"),
        ext_id("ERP_Billing_Document__c", 20),
    ], label="Invoice")
    payment = sobject("Payment__c", "a01", "Payments", required("Name", 80), [
        ref("Invoice__c", "Invoice__c", "Invoice__r"),
        ref("Account__c", "Account", "Account__r"),
        money("Amount__c"),
        currency_field(),
        day("Payment_Date__c"),
        ext_id("ERP_Payment_Reference__c", 40),
    ], label="Payment")
    return [user, account, contact, product, pricebook, entry, opportunity, opportunity_line,
            quote, quote_line, order, order_item, case, invoice, payment]


CATALOG = Catalog(_objects())
"""The org's schema; immutable at run time."""
