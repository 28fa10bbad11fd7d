"""API_OUTBOUND_DELIVERY_SRV;v=0002: outbound deliveries the lifecycle creates from orders.

A delivery is created with goods issue posted (OverallGoodsMovementStatus 'C'); its items
point back to the sales order through ReferenceSDDocument and ReferenceSDDocumentItem.
"""

from __future__ import annotations

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    ServiceModel,
    clock_time,
    date,
    decimal,
    text,
    timestamp,
    upper,
)

DELIVERY_HEADER = EntityType(
    name="A_OutbDeliveryHeaderType",
    entity_set="A_OutbDeliveryHeader",
    label="Outbound Delivery Header",
    keys=("DeliveryDocument",),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        upper("DeliveryDocument", 10, nullable=False, label="Delivery"),
        upper("DeliveryDocumentType", 4, label="Delivery Type"),
        upper("SDDocumentCategory", 4, label="Document Category"),
        date("ActualGoodsMovementDate", label="Act. Gds Mvmnt Date"),
        clock_time("ActualGoodsMovementTime", label="Act. Gds Mvmnt Time"),
        date("CreationDate", label="Created On"),
        clock_time("CreationTime", label="Time"),
        date("DeliveryDate", label="Delivery Date"),
        date("PlannedGoodsIssueDate", label="Pl. GI Date"),
        date("LastChangeDate", label="Changed On"),
        timestamp("YY1_LastChangeDateTime", label="Time Stamp"),
        upper("SalesOrganization", 4, label="Sales Organization"),
        upper("ShippingPoint", 4, label="Shipping Point"),
        upper("ShipToParty", 10, label="Ship-to Party"),
        upper("SoldToParty", 10, label="Sold-to Party"),
        upper("DeliveryBlockReason", 2, label="Delivery Block"),
        decimal("HeaderGrossWeight", 15, 3, unit="HeaderWeightUnit", label="Total Weight"),
        upper(
            "HeaderWeightUnit",
            3,
            display_format="",
            label="Weight Unit",
            semantics="unit-of-measure",
        ),
        upper("OverallGoodsMovementStatus", 1, label="Goods Movement Status"),
        upper("OverallPickingStatus", 1, label="Overall Picking Status"),
        upper("OverallSDProcessStatus", 1, label="Overall Status"),
        upper("OverallDelivReltdBillgStatus", 1, label="Billing Status"),
    ),
    navigations=(
        Navigation(
            "to_DeliveryDocumentItem",
            "A_OutbDeliveryItem",
            True,
            (("DeliveryDocument", "DeliveryDocument"),),
        ),
    ),
)

DELIVERY_ITEM = EntityType(
    name="A_OutbDeliveryItemType",
    entity_set="A_OutbDeliveryItem",
    label="Outbound Delivery Item",
    keys=("DeliveryDocument", "DeliveryDocumentItem"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        upper("DeliveryDocument", 10, nullable=False, label="Delivery"),
        upper(
            "DeliveryDocumentItem", 6, nullable=False, display_format="NonNegative", label="Item"
        ),
        decimal(
            "ActualDeliveryQuantity", 13, 3, unit="DeliveryQuantityUnit", label="Delivery Quantity"
        ),
        upper(
            "DeliveryQuantityUnit",
            3,
            display_format="",
            label="Sales Unit",
            semantics="unit-of-measure",
        ),
        text("DeliveryDocumentItemText", 40, label="Description"),
        upper("Material", 40, label="Material"),
        upper("Plant", 4, label="Plant"),
        upper("StorageLocation", 4, label="Storage location"),
        upper("GoodsMovementStatus", 1, label="Goods Movement Status"),
        upper("PickingStatus", 1, label="Picking Status"),
        upper("ReferenceSDDocument", 10, label="Reference Document"),
        upper("ReferenceSDDocumentItem", 6, display_format="NonNegative", label="Reference Item"),
        upper("ReferenceSDDocumentCategory", 4, label="Ref. Doc. Category"),
    ),
)

SERVICE = ServiceModel(
    name="API_OUTBOUND_DELIVERY_SRV",
    path="API_OUTBOUND_DELIVERY_SRV;v=0002",
    version="0002",
    entity_types=(DELIVERY_HEADER, DELIVERY_ITEM),
)
