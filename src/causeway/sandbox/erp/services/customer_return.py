"""API_CUSTOMER_RETURN_SRV: customer returns (type CBAR) with their items.

A return is created with a deep insert of `to_Item`, each item referencing the billed sales
order item it sends back (ReferenceSDDocument/ReferenceSDDocumentItem). Status fields are
read-only and move as the returns lifecycle advances: goods received through a returns
delivery, then a credit memo (billing type G2) is created.
"""

from __future__ import annotations

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    Property,
    ServiceModel,
    date,
    decimal,
    text,
    timestamp,
    upper,
)


def _status(name: str, label: str) -> Property:
    """A one-letter status the lifecycle sets; clients read it, never write it."""
    return upper(name, 1, creatable=False, updatable=False, label=label)


CUSTOMER_RETURN = EntityType(
    name="A_CustomerReturnType",
    entity_set="A_CustomerReturn",
    label="Customer Return Header",
    keys=("CustomerReturn",),
    required=("SoldToParty", "ReferenceSDDocument"),
    properties=(
        upper("CustomerReturn", 10, nullable=False, label="Customer Return"),
        upper("CustomerReturnType", 4, label="Customer Return Type"),
        upper("SalesOrganization", 4, label="Sales Organization"),
        upper("DistributionChannel", 2, label="Distribution Channel"),
        upper("OrganizationDivision", 2, label="Division"),
        upper("SalesGroup", 3, label="Sales group"),
        upper("SalesOffice", 4, label="Sales office"),
        upper("SoldToParty", 10, label="Sold-To Party"),
        date("CreationDate", creatable=False, updatable=False, label="Created on"),
        upper("CreatedByUser", 12, creatable=False, updatable=False, label="Created by"),
        date("LastChangeDate", creatable=False, updatable=False, label="Changed On"),
        timestamp(
            "LastChangeDateTime",
            creatable=False,
            updatable=False,
            concurrency=True,
            label="Time Stamp",
        ),
        text("PurchaseOrderByCustomer", 35, label="Customer Reference"),
        upper("CustomerPurchaseOrderType", 4, label="Purchase Order Type"),
        date("CustomerPurchaseOrderDate", label="Customer Ref. Date"),
        date("CustomerReturnDate", label="Document Date"),
        decimal(
            "TotalNetAmount",
            16,
            3,
            creatable=False,
            updatable=False,
            unit="TransactionCurrency",
            label="Net Value",
        ),
        upper("TransactionCurrency", 5, label="Document Currency", semantics="currency-code"),
        upper("SDDocumentReason", 3, label="Order Reason"),
        date("PricingDate", label="Pricing Date"),
        upper("HeaderBillingBlockReason", 2, label="Billing Block"),
        upper("DeliveryBlockReason", 2, label="Delivery Block"),
        upper("CustomerPaymentTerms", 4, label="Payment terms"),
        upper("ReferenceSDDocument", 10, label="Reference Document"),
        upper("ReferenceSDDocumentCategory", 4, label="Ref. Doc. Category"),
        upper("RetsMgmtProcess", 10, creatable=False, updatable=False, label="Returns Process"),
        _status("OverallSDProcessStatus", "Overall Status"),
        _status("OverallTotalDeliveryStatus", "Ovrl Delivery Status"),
        _status("OverallOrdReltdBillgStatus", "Order Billing Status"),
        _status("OverallSDDocumentRejectionSts", "Rejection Status"),
    ),
    navigations=(
        Navigation(
            "to_Item", "A_CustomerReturnItem", True, (("CustomerReturn", "CustomerReturn"),)
        ),
    ),
)

CUSTOMER_RETURN_ITEM = EntityType(
    name="A_CustomerReturnItemType",
    entity_set="A_CustomerReturnItem",
    label="Customer Return Item",
    keys=("CustomerReturn", "CustomerReturnItem"),
    required=("Material", "RequestedQuantity"),
    updatable=False,
    deletable=False,
    properties=(
        upper(
            "CustomerReturn",
            10,
            nullable=False,
            creatable=False,
            updatable=False,
            label="Customer Return",
        ),
        upper("CustomerReturnItem", 6, nullable=False, display_format="NonNegative", label="Item"),
        upper("CustomerReturnItemCategory", 4, label="Item category"),
        text("CustomerReturnItemText", 40, label="Item Description"),
        upper("Material", 40, label="Material"),
        decimal(
            "RequestedQuantity", 15, 3, unit="RequestedQuantityUnit", label="Requested Quantity"
        ),
        upper(
            "RequestedQuantityUnit",
            3,
            display_format="",
            label="Requested Qty Unit",
            semantics="unit-of-measure",
        ),
        upper(
            "TransactionCurrency",
            5,
            creatable=False,
            updatable=False,
            display_format="",
            label="Document Currency",
            semantics="currency-code",
        ),
        decimal(
            "NetAmount",
            16,
            3,
            creatable=False,
            updatable=False,
            unit="TransactionCurrency",
            label="Net Value",
        ),
        upper("Plant", 4, label="Plant"),
        upper("StorageLocation", 4, label="Storage location"),
        upper("ReturnReason", 3, label="Return Reason"),
        upper("ReturnsRefundType", 1, label="Refund Type"),
        upper("ReturnsRefundProcgMode", 1, label="Refund Control"),
        upper("CustRetItmFollowUpActivity", 4, label="Follow-Up Activity"),
        upper("ReferenceSDDocument", 10, label="Reference Document"),
        upper("ReferenceSDDocumentItem", 6, display_format="NonNegative", label="Reference Item"),
        upper("ReferenceSDDocumentCategory", 4, label="Ref. Doc. Category"),
        _status("SDProcessStatus", "Overall Status"),
        _status("DeliveryStatus", "Delivery Status"),
        _status("OrderRelatedBillingStatus", "Ord. Rel. Billg Sts"),
    ),
    navigations=(
        Navigation(
            "to_CustomerReturn",
            "A_CustomerReturn",
            False,
            (("CustomerReturn", "CustomerReturn"),),
        ),
    ),
)

SERVICE = ServiceModel(
    name="API_CUSTOMER_RETURN_SRV",
    path="API_CUSTOMER_RETURN_SRV",
    entity_types=(CUSTOMER_RETURN, CUSTOMER_RETURN_ITEM),
)
