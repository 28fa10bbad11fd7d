"""API_SALES_ORDER_SIMULATION_SRV: price, availability and credit of an order, without saving.

POST A_SalesOrderSimulation with a deep `to_Item` answers the document as the sales order
service would create it; nothing is stored and no number is drawn, so the simulated document
has the empty key SalesOrder=''. As in S/4HANA, the request asks for each check by naming its
navigation: `to_Pricing` for pricing (item values and pricing elements), an item's
`to_ScheduleLine` for the availability check and `to_Credit` for the credit check.
"""

from __future__ import annotations

from dataclasses import replace

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    Property,
    ServiceModel,
    date,
    decimal,
    flag,
    text,
    upper,
)

_ORDER = (("SalesOrder", "SalesOrder"),)
_ITEM = (("SalesOrder", "SalesOrder"), ("SalesOrderItem", "SalesOrderItem"))


def _computed(prop: Property) -> Property:
    """A property the simulation fills in; a client value for it is ignored."""
    return replace(prop, creatable=False, updatable=False)


def _document(label: str = "Sales Document") -> Property:
    return _computed(upper("SalesOrder", 10, nullable=False, label=label))


def _item_key() -> Property:
    return upper("SalesOrderItem", 6, nullable=False, display_format="NonNegative", label="Item")


def _pricing_element_properties() -> tuple[Property, ...]:
    return (
        upper("PricingProcedureStep", 3, nullable=False, display_format="NonNegative",
              label="Step"),
        upper("PricingProcedureCounter", 3, nullable=False, display_format="NonNegative",
              label="Condition Counter"),
        upper("ConditionType", 4, label="Condition Type"),
        date("PriceConditionDeterminationDte", label="Condition Pricing Date"),
        upper("ConditionCalculationType", 3, label="Calculation Type"),
        decimal("ConditionBaseValue", 24, 9, label="Condition Base Value"),
        decimal("ConditionRateValue", 24, 9, label="Amount"),
        upper("ConditionCurrency", 5, label="Condition Currency", semantics="currency-code"),
        decimal("ConditionQuantity", 5, 0, unit="ConditionQuantityUnit",
                label="Condition Pricing Unit"),
        upper("ConditionQuantityUnit", 3, label="Condition Unit", semantics="unit-of-measure"),
        flag("ConditionIsForStatistics", label="Statistical"),
        upper("ConditionOrigin", 1, label="Condition Origin"),
        upper("IsGroupCondition", 1, label="Group Condition"),
        decimal("ConditionAmount", 16, 3, unit="TransactionCurrency", label="Condition Value"),
        upper("TransactionCurrency", 5, label="Document Currency", semantics="currency-code"),
        upper("ConditionInactiveReason", 1, label="Inactive"),
        upper("ConditionClass", 1, label="Condition Class"),
        flag("ConditionIsManuallyChanged", label="Condition Changed Manually"),
    )


def _partner_properties() -> tuple[Property, ...]:
    return (
        upper("PartnerFunction", 2, nullable=False, label="Partner Function"),
        upper("Customer", 10, label="Customer"),
        upper("Supplier", 10, label="Supplier"),
        upper("Personnel", 8, display_format="NonNegative", label="Personnel Number"),
        upper("ContactPerson", 10, label="Contact Person"),
    )


SIMULATION = EntityType(
    name="A_SalesOrderSimulationType",
    entity_set="A_SalesOrderSimulation",
    label="Sales Order Simulation",
    keys=("SalesOrder",),
    required=(
        "SalesOrderType",
        "SalesOrganization",
        "DistributionChannel",
        "OrganizationDivision",
        "SoldToParty",
    ),
    updatable=False,
    deletable=False,
    properties=(
        _document("Sales Order"),
        upper("SalesOrderType", 4, label="Sales Order Type"),
        upper("SalesOrganization", 4, label="Sales Organization"),
        upper("DistributionChannel", 2, label="Distribution Channel"),
        upper("OrganizationDivision", 2, label="Division"),
        upper("SalesGroup", 3, label="Sales Group"),
        upper("SalesOffice", 4, label="Sales Office"),
        upper("SalesDistrict", 6, label="Sales District"),
        upper("SoldToParty", 10, label="Sold-To Party"),
        upper("CustomerGroup", 2, label="Customer Group"),
        text("PurchaseOrderByCustomer", 35, label="Customer Reference"),
        upper("CustomerPurchaseOrderType", 4, label="Purchase Order Type"),
        date("CustomerPurchaseOrderDate", label="Customer Ref. Date"),
        date("SalesOrderDate", label="Document Date"),
        upper("TransactionCurrency", 5, label="Document Currency", semantics="currency-code"),
        upper("SDDocumentReason", 3, label="Order Reason"),
        date("PricingDate", label="Pricing Date"),
        date("RequestedDeliveryDate", label="Requested Delivery Date"),
        upper("ShippingCondition", 2, label="Shipping Conditions"),
        flag("CompleteDeliveryIsDefined", label="Complete Delivery"),
        upper("IncotermsClassification", 3, label="Incoterms"),
        text("IncotermsLocation1", 70, label="Incoterms Location 1"),
        upper("CustomerPaymentTerms", 4, label="Payment terms"),
        upper("PaymentMethod", 1, label="Payment Method"),
    ),
    navigations=(
        Navigation("to_Credit", "A_SalesOrderCreditSimulation", False, _ORDER),
        Navigation("to_Item", "A_SalesOrderItemSimulation", True, _ORDER),
        Navigation("to_Partner", "A_SalesOrderPartnerSimulation", True, _ORDER),
        Navigation("to_Pricing", "A_SalesOrderPricingSimulation", False, _ORDER),
        Navigation("to_PricingElement", "A_SalesOrderPrcgElmntSimln", True, _ORDER),
    ),
)

ITEM = EntityType(
    name="A_SalesOrderItemSimulationType",
    entity_set="A_SalesOrderItemSimulation",
    label="Sales Order Item Simulation",
    keys=("SalesOrder", "SalesOrderItem"),
    required=("Material", "RequestedQuantity"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        _document(),
        _item_key(),
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
        upper("RequestedQuantityUnit", 3, display_format="", label="Requested Qty Unit",
              semantics="unit-of-measure"),
        _computed(decimal("ConfdDelivQtyInOrderQtyUnit", 15, 3, unit="RequestedQuantityUnit",
                          label="Confirmed Quantity")),
        _computed(decimal("ItemGrossWeight", 15, 3, unit="ItemWeightUnit", label="Gross Weight")),
        _computed(decimal("ItemNetWeight", 15, 3, unit="ItemWeightUnit", label="Net Weight")),
        _computed(upper("ItemWeightUnit", 3, display_format="", label="Weight unit")),
        _computed(upper("TransactionCurrency", 5, display_format="", label="Document Currency",
                        semantics="currency-code")),
        _computed(decimal("NetAmount", 16, 3, unit="TransactionCurrency", label="Net Value")),
        upper("MaterialGroup", 9, label="Material Group"),
        upper("Plant", 4, label="Plant"),
        upper("StorageLocation", 4, label="Storage location"),
        upper("ShippingPoint", 4, label="Shipping Point"),
        upper("CustomerPaymentTerms", 4, label="Payment terms"),
        upper("SalesDocumentRjcnReason", 2, label="Reason for Rejection"),
    ),
    navigations=(
        Navigation("to_Partner", "A_SalesOrderItemPartnerSimln", True, _ITEM),
        Navigation("to_PricingElement", "A_SalesOrderItmPrcgElmntSimln", True, _ITEM),
        Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),
        Navigation("to_ScheduleLine", "A_SalesOrderScheduleLineSimln", True, _ITEM),
    ),
)

ITEM_PRICING_ELEMENT = EntityType(
    name="A_SalesOrderItmPrcgElmntSimlnType",
    entity_set="A_SalesOrderItmPrcgElmntSimln",
    label="Sales Order Item Pricing Element Simulation",
    keys=("SalesOrder", "SalesOrderItem", "PricingProcedureStep", "PricingProcedureCounter"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(_document(), _item_key(), *_pricing_element_properties()),
    navigations=(
        Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),
        Navigation("to_SalesOrderItem", "A_SalesOrderItemSimulation", False, _ITEM),
    ),
)

PRICING_ELEMENT = EntityType(
    name="A_SalesOrderPrcgElmntSimlnType",
    entity_set="A_SalesOrderPrcgElmntSimln",
    label="Sales Order Pricing Element Simulation",
    keys=("SalesOrder", "PricingProcedureStep", "PricingProcedureCounter"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(_document(), *_pricing_element_properties()),
    navigations=(Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),),
)

SCHEDULE_LINE = EntityType(
    name="A_SalesOrderScheduleLineSimlnType",
    entity_set="A_SalesOrderScheduleLineSimln",
    label="Sales Order Schedule Line Simulation",
    keys=("SalesOrder", "SalesOrderItem", "ScheduleLine"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        _document(),
        _item_key(),
        upper("ScheduleLine", 4, nullable=False, display_format="NonNegative",
              label="Schedule Line Number"),
        date("RequestedDeliveryDate", label="Requested Delivery Date"),
        _computed(date("ConfirmedDeliveryDate", label="Confirmed Delivery Date")),
        upper("OrderQuantityUnit", 3, display_format="", label="Sales unit",
              semantics="unit-of-measure"),
        decimal("ScheduleLineOrderQuantity", 13, 3, unit="OrderQuantityUnit",
                label="Order Quantity"),
        _computed(decimal("ConfdOrderQtyByMatlAvailCheck", 13, 3, unit="OrderQuantityUnit",
                          label="Confirmed Quantity")),
        _computed(decimal("OpenConfdDelivQtyInOrdQtyUnit", 13, 3, unit="OrderQuantityUnit",
                          label="Open Quantity")),
        _computed(decimal("CorrectedQtyInOrderQtyUnit", 13, 3, unit="OrderQuantityUnit",
                          label="Corrected Quantity")),
    ),
    navigations=(
        Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),
        Navigation("to_SalesOrderItem", "A_SalesOrderItemSimulation", False, _ITEM),
    ),
)

PARTNER = EntityType(
    name="A_SalesOrderPartnerSimulationType",
    entity_set="A_SalesOrderPartnerSimulation",
    label="Sales Order Partner Simulation",
    keys=("SalesOrder", "PartnerFunction"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(_document(), *_partner_properties()),
    navigations=(Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),),
)

ITEM_PARTNER = EntityType(
    name="A_SalesOrderItemPartnerSimlnType",
    entity_set="A_SalesOrderItemPartnerSimln",
    label="Sales Order Item Partner Simulation",
    keys=("SalesOrder", "SalesOrderItem", "PartnerFunction"),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(_document(), _item_key(), *_partner_properties()),
    navigations=(
        Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),
        Navigation("to_SalesOrderItem", "A_SalesOrderItemSimulation", False, _ITEM),
    ),
)

CREDIT = EntityType(
    name="A_SalesOrderCreditSimulationType",
    entity_set="A_SalesOrderCreditSimulation",
    label="Sales Order Credit Simulation",
    keys=("SalesOrder",),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        _document(),
        _computed(upper("TotalCreditCheckStatus", 1, label="Credit Status")),
    ),
    navigations=(Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),),
)

PRICING = EntityType(
    name="A_SalesOrderPricingSimulationType",
    entity_set="A_SalesOrderPricingSimulation",
    label="Sales Order Pricing Simulation",
    keys=("SalesOrder",),
    creatable=False,
    updatable=False,
    deletable=False,
    properties=(
        _document(),
        _computed(decimal("TotalNetAmount", 16, 3, unit="TransactionCurrency",
                          label="Net Value")),
        _computed(upper("TransactionCurrency", 5, label="Document Currency",
                        semantics="currency-code")),
    ),
    navigations=(Navigation("to_SalesOrder", "A_SalesOrderSimulation", False, _ORDER),),
)

SERVICE = ServiceModel(
    name="API_SALES_ORDER_SIMULATION_SRV",
    path="API_SALES_ORDER_SIMULATION_SRV",
    entity_types=(
        CREDIT,
        ITEM_PARTNER,
        ITEM,
        ITEM_PRICING_ELEMENT,
        PARTNER,
        PRICING_ELEMENT,
        PRICING,
        SCHEDULE_LINE,
        SIMULATION,
    ),
)
