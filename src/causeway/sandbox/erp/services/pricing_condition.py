"""API_SLSPRICINGCONDITIONRECORD_SRV: sales pricing condition records and their validity.

A condition record holds the rate (a price per quantity, or a percentage); its validity holds
the period and the key it applies to (sales organization, distribution channel, material,
customer). Order pricing reads the very same records (`rules/conditions.py`), so the price an
integration reads here is the price an order is charged.

The real service carries no change time stamp; the sandbox adds `YY1_LastChangeDateTime`, as
a customer extension would, so that changes can be polled (S/4HANA integrations use change
pointers or business events instead).
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

CONDITION_RECORD = EntityType(
    name="A_SlsPrcgConditionRecordType",
    entity_set="A_SlsPrcgConditionRecord",
    label="Condition Record for Pricing in Sales",
    keys=("ConditionRecord",),
    required=("ConditionType",),
    deletable=False,
    properties=(
        upper("ConditionRecord", 10, nullable=False, creatable=False, label="Condition record no."),
        upper("ConditionSequentialNumber", 2, creatable=False, updatable=False, label="Seq.No."),
        upper("ConditionTable", 3, creatable=False, updatable=False, label="Condition Table"),
        upper("ConditionApplication", 2, creatable=False, updatable=False, label="Application"),
        upper("ConditionType", 4, updatable=False, label="Condition Type"),
        date("ConditionValidityEndDate", creatable=False, label="Valid To"),
        date("ConditionValidityStartDate", creatable=False, label="Valid From"),
        upper("CreatedByUser", 12, creatable=False, updatable=False, label="Created By"),
        date("CreationDate", creatable=False, updatable=False, label="Created On"),
        upper("ConditionCalculationType", 1, creatable=False, updatable=False, label="Calc.Type"),
        decimal("ConditionRateValue", 24, 9, unit="ConditionRateValueUnit", label="Amount"),
        upper("ConditionRateValueUnit", 5, label="Unit", semantics="currency-code"),
        upper("ConditionCurrency", 5, creatable=False, updatable=False, label="Currency"),
        decimal("ConditionQuantity", 5, 0, unit="ConditionQuantityUnit", label="Pricing Unit"),
        upper("ConditionQuantityUnit", 3, label="Unit of Measure", semantics="unit-of-measure"),
        upper("BaseUnit", 3, creatable=False, updatable=False, label="Base Unit of Measure"),
        flag("ConditionIsDeleted", label="Deletion Indicator"),
        upper("ConditionReleaseStatus", 1, creatable=False, updatable=False, label="Status"),
        text("ETag", 40, creatable=False, updatable=False, label="E Tag"),
        timestamp(
            "YY1_LastChangeDateTime",
            creatable=False,
            updatable=False,
            concurrency=True,  # the HTTP ETag, as A_SalesOrder's LastChangeDateTime
            label="Last Changed At",
        ),
    ),
    navigations=(
        Navigation(
            "to_SlsPrcgCndnRecdValidity",
            "A_SlsPrcgCndnRecdValidity",
            True,
            (("ConditionRecord", "ConditionRecord"),),
        ),
    ),
)

CONDITION_VALIDITY = EntityType(
    name="A_SlsPrcgCndnRecdValidityType",
    entity_set="A_SlsPrcgCndnRecdValidity",
    label="Validity of Condition Record for Pricing in Sales",
    keys=("ConditionRecord", "ConditionValidityEndDate"),
    deletable=False,
    properties=(
        upper("ConditionRecord", 10, nullable=False, label="Condition record no."),
        date("ConditionValidityEndDate", nullable=False, label="Valid To"),
        date("ConditionValidityStartDate", label="Valid From"),
        upper("ConditionApplication", 2, creatable=False, updatable=False, label="Application"),
        upper("ConditionType", 4, creatable=False, updatable=False, label="Condition Type"),
        upper("ConditionReleaseStatus", 1, creatable=False, updatable=False, label="Status"),
        upper("SalesOrganization", 4, updatable=False, label="Sales Organization"),
        upper("DistributionChannel", 2, updatable=False, label="Distribution Channel"),
        upper("Division", 2, updatable=False, label="Division"),
        upper("Customer", 10, updatable=False, label="Customer"),
        upper("Material", 40, updatable=False, label="Material"),
    ),
    navigations=(
        Navigation(
            "to_SlsPrcgConditionRecord",
            "A_SlsPrcgConditionRecord",
            False,
            (("ConditionRecord", "ConditionRecord"),),
        ),
    ),
)

SERVICE = ServiceModel(
    name="API_SLSPRICINGCONDITIONRECORD_SRV",
    path="API_SLSPRICINGCONDITIONRECORD_SRV",
    entity_types=(CONDITION_RECORD, CONDITION_VALIDITY),
)
