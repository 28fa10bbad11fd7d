"""API_SALES_ORDER_SRV: sales order headers, items and schedule lines.

Status fields (credit, delivery, overall processing) are read-only and move as the simulated
order-to-cash lifecycle advances; TotalNetAmount and NetAmount come from sandbox pricing.
"""

from __future__ import annotations

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    ServiceModel,
    date,
    decimal,
    flag,
    text,
    timestamp,
    upper,
)

SALES_ORDER = EntityType(
    name="A_SalesOrderType",
    entity_set="A_SalesOrder",
    label="Sales Order Header",
    keys=("SalesOrder",),
    required=("SoldToParty",),
    properties=(
        upper("SalesOrder", 10, nullable=False, label="Sales Order"),
        upper("SalesOrderType", 4, label="Sales Order Type"),
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
        upper(
            "ExternalDocumentID", 40, creatable=False, updatable=False, label="External Document ID"
        ),
        text("PurchaseOrderByCustomer", 35, label="Customer Reference"),
        upper("CustomerPurchaseOrderType", 4, label="Purchase Order Type"),
        date("CustomerPurchaseOrderDate", label="Customer Ref. Date"),
        date("SalesOrderDate", label="Document Date"),
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
        date("RequestedDeliveryDate", label="Requested Delivery Date"),
        upper("ShippingCondition", 2, label="Shipping Conditions"),
        flag("CompleteDeliveryIsDefined", label="Complete Delivery"),
        upper("HeaderBillingBlockReason", 2, label="Billing Block"),
        upper("DeliveryBlockReason", 2, label="Delivery Block"),
        upper("IncotermsClassification", 3, label="Incoterms"),
        text("IncotermsLocation1", 70, label="Incoterms Location 1"),
        upper("CustomerPaymentTerms", 4, label="Payment terms"),
        upper("PaymentMethod", 1, label="Payment Method"),
        upper(
            "OverallSDProcessStatus", 1, creatable=False, updatable=False, label="Overall Status"
        ),
        upper("TotalCreditCheckStatus", 1, creatable=False, updatable=False, label="Credit Status"),
        upper(
            "OverallTotalDeliveryStatus",
            1,
            creatable=False,
            updatable=False,
            label="Ovrl Delivery Status",
        ),
        upper(
            "OverallSDDocumentRejectionSts",
            1,
            creatable=False,
            updatable=False,
            label="Rejection Status",
        ),
    ),
    navigations=(Navigation("to_Item", "A_SalesOrderItem", True, (("SalesOrder", "SalesOrder"),)),),
)

SALES_ORDER_ITEM = EntityType(
    name="A_SalesOrderItemType",
    entity_set="A_SalesOrderItem",
    label="Sales Order Item",
    keys=("SalesOrder", "SalesOrderItem"),
    required=("Material", "RequestedQuantity"),
    properties=(
        upper(
            "SalesOrder", 10, nullable=False, creatable=False, updatable=False, label="Sales Order"
        ),
        upper("SalesOrderItem", 6, nullable=False, display_format="NonNegative", label="Item"),
        upper("HigherLevelItem", 6, display_format="NonNegative", label="Higher-Level Item"),
        upper("SalesOrderItemCategory", 4, label="Item category"),
        text("SalesOrderItemText", 40, label="Item Description"),
        text("PurchaseOrderByCustomer", 35, label="Customer Reference"),
        upper("Material", 40, label="Material"),
        upper("MaterialByCustomer", 35, label="Customer Material"),
        date("PricingDate", label="Pricing Date"),
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
        decimal(
            "ItemGrossWeight",
            15,
            3,
            creatable=False,
            updatable=False,
            unit="ItemWeightUnit",
            label="Gross Weight",
        ),
        upper(
            "ItemWeightUnit",
            3,
            creatable=False,
            updatable=False,
            display_format="",
            label="Weight unit",
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
        upper("MaterialGroup", 9, label="Material Group"),
        upper("ProductionPlant", 4, label="Plant"),
        upper("StorageLocation", 4, label="Storage location"),
        upper("ShippingPoint", 4, label="Shipping Point"),
        upper("CustomerPaymentTerms", 4, label="Payment terms"),
        upper("SalesDocumentRjcnReason", 2, label="Reason for Rejection"),
        upper("ItemBillingBlockReason", 2, label="Billing Block"),
        upper("SDProcessStatus", 1, creatable=False, updatable=False, label="Overall Status"),
        upper("DeliveryStatus", 1, creatable=False, updatable=False, label="Delivery Status"),
        upper(
            "OrderRelatedBillingStatus",
            1,
            creatable=False,
            updatable=False,
            label="Ord. Rel. Billg Sts",
        ),
    ),
    navigations=(
        Navigation(
            "to_ScheduleLine",
            "A_SalesOrderScheduleLine",
            True,
            (("SalesOrder", "SalesOrder"), ("SalesOrderItem", "SalesOrderItem")),
        ),
        Navigation("to_SalesOrder", "A_SalesOrder", False, (("SalesOrder", "SalesOrder"),)),
    ),
)

SCHEDULE_LINE = EntityType(
    name="A_SalesOrderScheduleLineType",
    entity_set="A_SalesOrderScheduleLine",
    label="Item Schedule Line",
    keys=("SalesOrder", "SalesOrderItem", "ScheduleLine"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        upper(
            "SalesOrder",
            10,
            nullable=False,
            creatable=False,
            updatable=False,
            label="Sales document",
        ),
        upper(
            "SalesOrderItem",
            6,
            nullable=False,
            creatable=False,
            updatable=False,
            display_format="NonNegative",
            label="Sales Document Item",
        ),
        upper(
            "ScheduleLine",
            4,
            nullable=False,
            display_format="NonNegative",
            label="Schedule line number",
        ),
        date("RequestedDeliveryDate", label="Delivery Date"),
        date("ConfirmedDeliveryDate", label="Delivery Date"),
        upper(
            "OrderQuantityUnit",
            3,
            display_format="",
            label="Sales unit",
            semantics="unit-of-measure",
        ),
        decimal(
            "ScheduleLineOrderQuantity", 13, 3, unit="OrderQuantityUnit", label="Order Quantity"
        ),
        decimal(
            "ConfdOrderQtyByMatlAvailCheck",
            13,
            3,
            unit="OrderQuantityUnit",
            label="Confirmed Quantity",
        ),
        decimal(
            "DeliveredQtyInOrderQtyUnit",
            13,
            3,
            unit="OrderQuantityUnit",
            label="Delivered Quantity",
        ),
        decimal(
            "OpenConfdDelivQtyInOrdQtyUnit", 13, 3, unit="OrderQuantityUnit", label="Open Quantity"
        ),
        upper("DelivBlockReasonForSchedLine", 2, label="Delivery Block"),
    ),
)

SERVICE = ServiceModel(
    name="API_SALES_ORDER_SRV",
    path="API_SALES_ORDER_SRV",
    entity_types=(SALES_ORDER, SALES_ORDER_ITEM, SCHEDULE_LINE),
)
