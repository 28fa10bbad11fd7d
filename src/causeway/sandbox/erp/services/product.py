"""API_PRODUCT_SRV: products with their descriptions and plant data.

List prices (condition records in S/4HANA) and unrestricted stock (a stock API there) are
exposed as YY1_ extension fields on A_Product and A_ProductPlant.
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

PRODUCT = EntityType(
    name="A_ProductType",
    entity_set="A_Product",
    label="Product",
    keys=("Product",),
    required=("ProductType", "BaseUnit"),
    deletable=False,
    properties=(
        upper("Product", 40, nullable=False, label="Product"),
        upper("ProductType", 4, label="Product Type"),
        upper("CrossPlantStatus", 2, label="X-Plant Status"),
        date("CreationDate", creatable=False, updatable=False, label="Created On"),
        upper("CreatedByUser", 12, creatable=False, updatable=False, label="Created By"),
        date("LastChangeDate", creatable=False, updatable=False, label="Last Change"),
        upper("LastChangedByUser", 12, creatable=False, updatable=False, label="Changed By"),
        timestamp("LastChangeDateTime", creatable=False, updatable=False, label="Time Stamp"),
        flag("IsMarkedForDeletion", label="Deletion Flag"),
        upper("ProductOldID", 40, label="Old Product Number"),
        decimal("GrossWeight", 13, 3, unit="WeightUnit", label="Gross Weight"),
        upper("PurchaseOrderQuantityUnit", 3, label="Order Unit", semantics="unit-of-measure"),
        upper("WeightUnit", 3, label="Weight Unit", semantics="unit-of-measure"),
        decimal("NetWeight", 13, 3, unit="WeightUnit", label="Net Weight"),
        upper("CountryOfOrigin", 3, label="Country/Region of Origin"),
        upper("ProductGroup", 9, label="Product Group"),
        upper("BaseUnit", 3, label="Base Unit of Measure", semantics="unit-of-measure"),
        upper("ItemCategoryGroup", 4, label="Item Category Group"),
        upper("ProductHierarchy", 18, label="Product Hierarchy"),
        upper("Division", 2, label="Division"),
        text("SizeOrDimensionText", 32, label="Size/dimensions"),
        upper("ExternalProductGroup", 18, label="Ext. Product Group"),
        text("ProductManufacturerNumber", 40, label="Manufacturer Part No."),
        decimal("YY1_ListPrice", 16, 3, unit="YY1_ListPriceCurrency", label="List Price"),
        upper("YY1_ListPriceCurrency", 5, label="List Price Currency", semantics="currency-code"),
    ),
    navigations=(
        Navigation("to_Description", "A_ProductDescription", True, (("Product", "Product"),)),
        Navigation("to_Plant", "A_ProductPlant", True, (("Product", "Product"),)),
    ),
)

PRODUCT_DESCRIPTION = EntityType(
    name="A_ProductDescriptionType",
    entity_set="A_ProductDescription",
    label="Product Description",
    keys=("Product", "Language"),
    properties=(
        upper("Product", 40, nullable=False, label="Product"),
        upper("Language", 2, nullable=False, label="Language Key"),
        text("ProductDescription", 40, label="Product Description"),
    ),
)

PRODUCT_PLANT = EntityType(
    name="A_ProductPlantType",
    entity_set="A_ProductPlant",
    label="Plant",
    keys=("Product", "Plant"),
    deletable=False,
    properties=(
        upper("Product", 40, nullable=False, label="Product"),
        upper("Plant", 4, nullable=False, label="Plant"),
        upper("PurchasingGroup", 3, label="Purchasing Group"),
        upper("CountryOfOrigin", 3, label="Country/Region of Origin"),
        upper("AvailabilityCheckType", 2, label="Availability Check"),
        upper("ProfitCenter", 10, label="Profit Center"),
        upper("MRPType", 2, label="MRP Type"),
        upper("MRPResponsible", 3, label="MRP Controller"),
        flag("IsMarkedForDeletion", label="Deletion Flag"),
        upper("BaseUnit", 3, creatable=False, updatable=False, label="Base Unit of Measure"),
        decimal(
            "YY1_UnrestrictedStockQuantity", 13, 3, unit="BaseUnit", label="Unrestricted Stock"
        ),
    ),
)

SERVICE = ServiceModel(
    name="API_PRODUCT_SRV",
    path="API_PRODUCT_SRV",
    entity_types=(PRODUCT, PRODUCT_DESCRIPTION, PRODUCT_PLANT),
)
