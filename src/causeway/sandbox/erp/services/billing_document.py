"""API_BILLING_DOCUMENT_SRV: invoices created by the lifecycle, read-only as in S/4HANA.

Payment is visible on the header: InvoiceClearingStatus moves from 'A' (open) to 'C' (cleared)
when the customer pays; AccountingPostingStatus 'C' means the invoice is posted to accounting.
"""

from __future__ import annotations

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    ServiceModel,
    clock_time,
    date,
    decimal,
    flag,
    text,
    timestamp,
    upper,
)

BILLING_DOCUMENT = EntityType(
    name="A_BillingDocumentType",
    entity_set="A_BillingDocument",
    label="Billing Document Header",
    keys=("BillingDocument",),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        upper("BillingDocument", 10, nullable=False, label="Billing Document"),
        upper("SDDocumentCategory", 4, label="SD Document Category"),
        upper("BillingDocumentCategory", 1, label="Billing Category"),
        upper("BillingDocumentType", 4, label="Billing Type"),
        date("CreationDate", label="Created On"),
        clock_time("CreationTime", label="Time"),
        date("LastChangeDate", label="Changed On"),
        timestamp("LastChangeDateTime", label="Time Stamp"),
        upper("SalesOrganization", 4, label="Sales Organization"),
        upper("DistributionChannel", 2, label="Distribution Channel"),
        upper("Division", 2, label="Division"),
        date("BillingDocumentDate", label="Billing Date"),
        flag("BillingDocumentIsCancelled", label="Canceled"),
        upper("CancelledBillingDocument", 10, label="Canceled Bill. Doc."),
        decimal("TotalNetAmount", 16, 3, unit="TransactionCurrency", label="Net Value"),
        upper("TransactionCurrency", 5, label="Document Currency", semantics="currency-code"),
        decimal("TaxAmount", 14, 3, unit="TransactionCurrency", label="Tax Amount"),
        decimal("TotalGrossAmount", 17, 3, unit="TransactionCurrency", label="Gross Amount"),
        upper("PayerParty", 10, label="Payer"),
        upper("CustomerPaymentTerms", 4, label="Terms of Payment"),
        upper("CompanyCode", 4, label="Company Code"),
        upper("FiscalYear", 4, display_format="NonNegative", label="Fiscal Year"),
        upper("AccountingDocument", 10, label="Document Number"),
        upper("SoldToParty", 10, label="Sold-to Party"),
        text("PurchaseOrderByCustomer", 35, label="Customer Reference"),
        upper("Country", 3, label="Dest. Country/Region"),
        upper("OverallSDProcessStatus", 1, label="Overall Status"),
        upper("OverallBillingStatus", 1, label="Status"),
        upper("AccountingPostingStatus", 1, label="Posting Status"),
        upper("AccountingTransferStatus", 1, label="Posting Status"),
        upper("InvoiceClearingStatus", 1, label="Clearing Status"),
        date("YY1_NetDueDate", creatable=False, updatable=False, label="Net Due Date"),
        date("YY1_ClearingDate", creatable=False, updatable=False, label="Clearing Date"),
    ),
    navigations=(
        Navigation(
            "to_Item", "A_BillingDocumentItem", True, (("BillingDocument", "BillingDocument"),)
        ),
    ),
)

BILLING_DOCUMENT_ITEM = EntityType(
    name="A_BillingDocumentItemType",
    entity_set="A_BillingDocumentItem",
    label="Billing Document Item",
    keys=("BillingDocument", "BillingDocumentItem"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        upper("BillingDocument", 10, nullable=False, label="Billing Document"),
        upper("BillingDocumentItem", 6, nullable=False, display_format="NonNegative", label="Item"),
        upper("SalesDocumentItemCategory", 4, label="Sales Doc. Item Cat."),
        date("CreationDate", label="Created On"),
        upper("Material", 40, label="Material"),
        upper("Product", 40, label="Product"),
        upper("Plant", 4, label="Plant"),
        text("BillingDocumentItemText", 40, label="Item Description"),
        decimal("BillingQuantity", 13, 3, unit="BillingQuantityUnit", label="Billed Quantity"),
        upper(
            "BillingQuantityUnit",
            3,
            display_format="",
            label="Sales Unit",
            semantics="unit-of-measure",
        ),
        decimal("NetAmount", 16, 3, unit="TransactionCurrency", label="Net Value"),
        upper(
            "TransactionCurrency",
            5,
            display_format="",
            label="Document Currency",
            semantics="currency-code",
        ),
        decimal("GrossAmount", 16, 3, unit="TransactionCurrency", label="Gross Value"),
        decimal("TaxAmount", 14, 3, unit="TransactionCurrency", label="Tax Amount"),
        upper("ReferenceSDDocument", 10, label="Reference Document"),
        upper("ReferenceSDDocumentItem", 6, display_format="NonNegative", label="Reference Item"),
        upper("ReferenceSDDocumentCategory", 4, label="Ref. Doc. Category"),
        upper("SalesDocument", 10, label="Sales Document"),
        upper("SalesDocumentItem", 6, display_format="NonNegative", label="Sales Document Item"),
    ),
    navigations=(
        Navigation(
            "to_BillingDocument",
            "A_BillingDocument",
            False,
            (("BillingDocument", "BillingDocument"),),
        ),
    ),
)

SERVICE = ServiceModel(
    name="API_BILLING_DOCUMENT_SRV",
    path="API_BILLING_DOCUMENT_SRV",
    entity_types=(BILLING_DOCUMENT, BILLING_DOCUMENT_ITEM),
)
