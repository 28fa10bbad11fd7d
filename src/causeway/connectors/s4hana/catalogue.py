"""Which S/4HANA entity sets Causeway reads and writes, and how changes show on each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntitySpec:
    """One entity set: its service, key, change stamp and what to expand on reads.

    Most APIs carry a `LastChangeDateTime` time stamp. Business partners carry only a
    change date and time, empty until the first change, so creation date and time stand in.
    """

    entity_set: str
    service: str
    key: str
    changed_at: str | None = None
    changed_on: tuple[str, str] | None = None
    created_on: tuple[str, str] | None = None
    expand: tuple[str, ...] = ()
    reference: str | None = None
    """A writable field holding Causeway's deterministic reference, for retry-safe creates."""


CATALOGUE: dict[str, EntitySpec] = {
    spec.entity_set: spec
    for spec in (
        EntitySpec(
            "A_BusinessPartner",
            "API_BUSINESS_PARTNER",
            "BusinessPartner",
            changed_on=("LastChangeDate", "LastChangeTime"),
            created_on=("CreationDate", "CreationTime"),
            expand=("to_BusinessPartnerAddress", "to_Customer/to_CustomerSalesArea"),
            reference="SearchTerm2",
        ),
        EntitySpec(
            "A_Product",
            "API_PRODUCT_SRV",
            "Product",
            changed_at="LastChangeDateTime",
            expand=("to_Description",),
        ),
        EntitySpec(
            "A_SalesOrder",
            "API_SALES_ORDER_SRV",
            "SalesOrder",
            changed_at="LastChangeDateTime",
            expand=("to_Item",),
            reference="PurchaseOrderByCustomer",
        ),
        EntitySpec(
            "A_BillingDocument",
            "API_BILLING_DOCUMENT_SRV",
            "BillingDocument",
            changed_at="LastChangeDateTime",
            expand=("to_Item",),
        ),
        EntitySpec(
            "A_OutbDeliveryHeader",
            "API_OUTBOUND_DELIVERY_SRV;v=0002",
            "DeliveryDocument",
            changed_at="YY1_LastChangeDateTime",
            expand=("to_DeliveryDocumentItem",),
        ),
    )
}


def spec_for(entity_set: str) -> EntitySpec:
    """The spec of an entity set, or a clear error naming the ones known."""
    try:
        return CATALOGUE[entity_set]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise KeyError(f"unknown S/4HANA entity set {entity_set!r}; known: {known}") from None
