"""API_BUSINESS_PARTNER: partners, addresses, customers, sales areas and contact persons.

Names, lengths and annotations follow SAP's published service. Credit data, which S/4HANA keeps
in Credit Management, is exposed on A_CustomerSalesArea as YY1_ fields (SAP's prefix for
customer extensions) so an integration can read and set it through this one service.
"""

from __future__ import annotations

from causeway.sandbox.erp.model import (
    Edm,
    EntityType,
    Navigation,
    Property,
    ServiceModel,
    clock_time,
    date,
    decimal,
    flag,
    text,
    timestamp,
    upper,
)

BUSINESS_PARTNER = EntityType(
    name="A_BusinessPartnerType",
    entity_set="A_BusinessPartner",
    label="Business Partner",
    keys=("BusinessPartner",),
    required=("BusinessPartnerCategory",),
    deletable=False,
    properties=(
        upper("BusinessPartner", 10, nullable=False, label="Business Partner"),
        upper("Customer", 10, creatable=False, updatable=False, label="Customer"),
        upper("Supplier", 10, creatable=False, updatable=False, label="Supplier"),
        upper("AcademicTitle", 4, label="Academic Title 1"),
        upper("AuthorizationGroup", 4, label="Authorization Group"),
        upper("BusinessPartnerCategory", 1, label="BP Category"),
        text("BusinessPartnerFullName", 81, creatable=False, updatable=False, label="Full Name"),
        upper("BusinessPartnerGrouping", 4, label="Grouping"),
        text(
            "BusinessPartnerName",
            81,
            creatable=False,
            updatable=False,
            label="Name of Business Partner",
        ),
        Property(
            "BusinessPartnerUUID", Edm.GUID, creatable=False, updatable=False, label="BP GUID"
        ),
        upper("CorrespondenceLanguage", 2, label="Correspondence Lang."),
        upper("CreatedByUser", 12, creatable=False, updatable=False, label="Created by"),
        date("CreationDate", creatable=False, updatable=False, label="Created on"),
        clock_time("CreationTime", creatable=False, updatable=False, label="Created at"),
        text("FirstName", 40, label="First Name"),
        upper("FormOfAddress", 4, label="Form of Address"),
        upper("Industry", 10, label="Industry Sector"),
        upper("IsNaturalPerson", 1, label="Natural Person"),
        upper("Language", 2, label="Language"),
        date("LastChangeDate", creatable=False, updatable=False, label="Changed on"),
        clock_time("LastChangeTime", creatable=False, updatable=False, label="Changed at"),
        upper("LastChangedByUser", 12, creatable=False, updatable=False, label="Changed by"),
        text("LastName", 40, label="Last Name"),
        upper("LegalForm", 2, label="Legal form"),
        text("OrganizationBPName1", 40, label="Name 1"),
        text("OrganizationBPName2", 40, label="Name 2"),
        text("OrganizationBPName3", 40, label="Name 3"),
        text("OrganizationBPName4", 40, label="Name 4"),
        date("OrganizationFoundationDate", label="Date founded"),
        upper("SearchTerm1", 20, label="Search Term 1"),
        upper("SearchTerm2", 20, label="Search Term 2"),
        flag("BusinessPartnerIsBlocked", label="Central Block"),
        upper("BusinessPartnerType", 4, label="BP Type"),
        text("ETag", 26, creatable=False, updatable=False, label="Time Stamp"),
        flag("IsMarkedForArchiving", label="Archiving Flag"),
    ),
    navigations=(
        Navigation(
            "to_BusinessPartnerAddress",
            "A_BusinessPartnerAddress",
            True,
            (("BusinessPartner", "BusinessPartner"),),
        ),
        Navigation("to_Customer", "A_Customer", False, (("Customer", "Customer"),)),
        # The contacts of an organisation: relationships naming it as the company.
        Navigation(
            "to_BusinessPartnerContact",
            "A_BusinessPartnerContact",
            True,
            (("BusinessPartner", "BusinessPartnerCompany"),),
        ),
    ),
)

BUSINESS_PARTNER_ADDRESS = EntityType(
    name="A_BusinessPartnerAddressType",
    entity_set="A_BusinessPartnerAddress",
    label="BP Address",
    keys=("BusinessPartner", "AddressID"),
    required=("Country",),
    properties=(
        upper("BusinessPartner", 10, nullable=False, label="Business Partner"),
        upper("AddressID", 10, nullable=False, label="Address Number"),
        timestamp("ValidityStartDate", label="Valid From"),
        timestamp("ValidityEndDate", label="Valid To"),
        Property("AddressUUID", Edm.GUID, creatable=False, updatable=False, label="UUID"),
        upper("AddressTimeZone", 6, label="Time zone"),
        text("CareOfName", 40, label="c/o"),
        upper("CityCode", 12, label="City code"),
        text("CityName", 40, label="City"),
        text("CompanyPostalCode", 10, label="Company Postal Code"),
        upper("Country", 3, label="Country/Region Key"),
        text("County", 40, label="County"),
        text("District", 40, label="District"),
        text("FullName", 80, label="Full Name"),
        text("HouseNumber", 10, label="House Number"),
        text("HouseNumberSupplementText", 10, label="Supplement"),
        upper("Language", 2, label="Language Key"),
        text("POBox", 10, label="PO Box"),
        text("POBoxPostalCode", 10, label="PO Box Postal Code"),
        text("PostalCode", 10, label="Postal Code"),
        upper("PrfrdCommMediumType", 3, label="Comm. Method"),
        upper("Region", 3, label="Region"),
        text("StreetName", 60, label="Street"),
        upper("TaxJurisdiction", 15, label="Tax Jurisdiction"),
        upper("TransportZone", 10, label="Transportation Zone"),
    ),
)

CUSTOMER = EntityType(
    name="A_CustomerType",
    entity_set="A_Customer",
    label="Customer",
    keys=("Customer",),
    creatable=False,
    deletable=False,
    properties=(
        upper("Customer", 10, nullable=False, label="Customer"),
        upper("AuthorizationGroup", 4, label="Authorization"),
        upper("BillingIsBlockedForCustomer", 2, label="Billing Block"),
        upper("CreatedByUser", 12, creatable=False, updatable=False, label="Created by"),
        date("CreationDate", creatable=False, updatable=False, label="Created on"),
        upper("CustomerAccountGroup", 4, creatable=False, updatable=False, label="Account Group"),
        upper("CustomerClassification", 2, label="Classific."),
        text("CustomerFullName", 220, creatable=False, updatable=False, label="Customer Full Name"),
        text("CustomerName", 80, creatable=False, updatable=False, label="Name of Customer"),
        upper("DeliveryIsBlocked", 2, label="Delivery Block"),
        upper("OrderIsBlockedForCustomer", 2, label="Order Block"),
        flag("PostingIsBlocked", label="Posting Block"),
        upper("Supplier", 10, label="Supplier"),
        upper("CustomerCorporateGroup", 10, label="Group Key"),
        upper("Industry", 4, label="Industry"),
        upper("TaxNumber1", 16, label="Tax Number 1"),
        upper("VATRegistration", 20, label="VAT Registration No."),
        flag("DeletionIndicator", label="Deletion Flag"),
    ),
    navigations=(
        Navigation(
            "to_CustomerSalesArea", "A_CustomerSalesArea", True, (("Customer", "Customer"),)
        ),
    ),
)

CUSTOMER_SALES_AREA = EntityType(
    name="A_CustomerSalesAreaType",
    entity_set="A_CustomerSalesArea",
    label="Customer Sales Area",
    keys=("Customer", "SalesOrganization", "DistributionChannel", "Division"),
    creatable=False,
    deletable=False,
    properties=(
        upper("Customer", 10, nullable=False, label="Customer"),
        upper("SalesOrganization", 4, nullable=False, label="Sales Organization"),
        upper("DistributionChannel", 2, nullable=False, label="Distribution Channel"),
        upper("Division", 2, nullable=False, label="Division"),
        upper("BillingIsBlockedForCustomer", 2, label="Billing Block"),
        flag("CompleteDeliveryIsDefined", label="Complete Delivery"),
        upper("Currency", 5, label="Currency", semantics="currency-code"),
        upper("CustomerAccountAssignmentGroup", 2, label="Acct Assmt Grp Cust."),
        upper("CustomerGroup", 2, label="Customer Group"),
        upper("CustomerPaymentTerms", 4, label="Terms of Payment"),
        upper("CustomerPriceGroup", 2, label="Price Group"),
        upper("CustomerPricingProcedure", 2, label="Cust.Pric.Procedure"),
        upper("DeliveryIsBlockedForCustomer", 2, label="Delivery Block"),
        upper("DeliveryPriority", 2, label="Delivery Priority"),
        upper("IncotermsClassification", 3, label="Incoterms"),
        text("IncotermsLocation1", 70, label="Incoterms Location 1"),
        upper("OrderIsBlockedForCustomer", 2, label="Order Block"),
        upper("PriceListType", 2, label="Price List Type"),
        upper("SalesGroup", 3, label="Sales Group"),
        upper("SalesOffice", 4, label="Sales Office"),
        upper("ShippingCondition", 2, label="Shipping Conditions"),
        upper("SupplyingPlant", 4, label="Delivering Plant"),
        upper("SalesDistrict", 6, label="Sales District"),
        flag("DeletionIndicator", label="Deletion Flag"),
        decimal("YY1_CreditLimitAmount", 16, 3, unit="Currency", label="Credit Limit"),
        decimal(
            "YY1_CreditExposureAmount",
            16,
            3,
            creatable=False,
            updatable=False,
            unit="Currency",
            label="Credit Exposure",
        ),
        decimal("YY1_CustomerDiscountPercent", 5, 2, label="Customer Discount %"),
    ),
)

_RELATIONSHIP_KEYS = (
    "RelationshipNumber",
    "BusinessPartnerCompany",
    "BusinessPartnerPerson",
    "ValidityEndDate",
)

BUSINESS_PARTNER_CONTACT = EntityType(
    name="A_BusinessPartnerContactType",
    entity_set="A_BusinessPartnerContact",
    label="BP Contact",
    keys=_RELATIONSHIP_KEYS,
    required=("BusinessPartnerCompany", "BusinessPartnerPerson"),
    properties=(
        upper("RelationshipNumber", 12, nullable=False, label="BP Relationship No."),
        upper("BusinessPartnerCompany", 10, nullable=False, label="Business Partner"),
        upper("BusinessPartnerPerson", 10, nullable=False, label="Business Partner"),
        date("ValidityEndDate", nullable=False, label="Valid To"),
        date("ValidityStartDate", label="Valid From"),
        flag("IsStandardRelationship", label="Standard Relationship"),
        upper("RelationshipCategory", 6, updatable=False, label="Relationship Cat."),
    ),
    navigations=(
        Navigation(
            "to_ContactRelationship",
            "A_BPContactToFuncAndDept",
            False,
            tuple((name, name) for name in _RELATIONSHIP_KEYS),
        ),
    ),
)

# Function, department and communication data of a contact relationship (the same BUT051 row
# in S/4HANA): created with the relationship, changed by PATCH, removed with it.
BP_CONTACT_FUNC_AND_DEPT = EntityType(
    name="A_BPContactToFuncAndDeptType",
    entity_set="A_BPContactToFuncAndDept",
    label="Contact Person Function and Department",
    keys=_RELATIONSHIP_KEYS,
    creatable=False,
    deletable=False,
    properties=(
        upper("RelationshipNumber", 12, nullable=False, label="BP Relationship No."),
        upper("BusinessPartnerCompany", 10, nullable=False, label="Business Partner"),
        upper("BusinessPartnerPerson", 10, nullable=False, label="Business Partner"),
        date("ValidityEndDate", nullable=False, label="Valid To"),
        upper("ContactPersonAuthorityType", 1, label="Partner's Authority"),
        upper("ContactPersonDepartment", 4, label="Department"),
        text(
            "ContactPersonDepartmentName",
            40,
            creatable=False,
            updatable=False,
            label="Department Name",
        ),
        upper("ContactPersonFunction", 4, label="Function"),
        text(
            "ContactPersonFunctionName", 40, creatable=False, updatable=False, label="Function Name"
        ),
        text("ContactPersonRemarkText", 40, label="Notes"),
        upper("ContactPersonVIPType", 1, label="VIP"),
        text("EmailAddress", 241, label="E-Mail Address"),
        text("FaxNumber", 30, label="Fax"),
        text("FaxNumberExtension", 10, label="Extension"),
        text("PhoneNumber", 30, label="Telephone"),
        text("PhoneNumberExtension", 10, label="Extension"),
        upper(
            "RelationshipCategory", 6, creatable=False, updatable=False, label="Relationship Cat."
        ),
    ),
)

SERVICE = ServiceModel(
    name="API_BUSINESS_PARTNER",
    path="API_BUSINESS_PARTNER",
    entity_types=(
        BUSINESS_PARTNER,
        BUSINESS_PARTNER_ADDRESS,
        CUSTOMER,
        CUSTOMER_SALES_AREA,
        BUSINESS_PARTNER_CONTACT,
        BP_CONTACT_FUNC_AND_DEPT,
    ),
)
