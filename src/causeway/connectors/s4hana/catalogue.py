"""Which S/4HANA entity sets Causeway reads and writes, and how changes show on each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from causeway.connectors.s4hana.odata import Filter, compare

CONTACT_PERSON = "ContactPerson"
"""A person business partner with its contact relationship to an organisation (see below)."""
LIST_PRICE = "ListPrice"
"""The PPR0 list price of a material in a sales area (see connectors/s4hana/list_prices.py)."""


@dataclass(frozen=True)
class EntitySpec:
    """One object: its entity set and service, key, change stamp and what to expand on reads.

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
    where: Filter | None = None
    """A fixed condition every read of the object adds (`and`) to its own filter."""
    name: str = ""
    """The object name Causeway uses; the entity set's name unless one set serves several."""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.entity_set)

    @overload
    def condition(self, extra: Filter) -> Filter: ...
    @overload
    def condition(self, extra: None) -> Filter | None: ...

    def condition(self, extra: Filter | None) -> Filter | None:
        """The fixed condition combined (`and`) with `extra`; either may be absent."""
        if self.where is None:
            return extra
        return self.where if extra is None else self.where & extra


_PARTNER_CHANGED = ("LastChangeDate", "LastChangeTime")
_PARTNER_CREATED = ("CreationDate", "CreationTime")

CATALOGUE: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        # Customers are organisations; persons (contacts, employees) share the entity set.
        EntitySpec(
            "A_BusinessPartner",
            "API_BUSINESS_PARTNER",
            "BusinessPartner",
            changed_on=_PARTNER_CHANGED,
            created_on=_PARTNER_CREATED,
            expand=("to_BusinessPartnerAddress", "to_Customer/to_CustomerSalesArea"),
            reference="SearchTerm2",
            where=compare("BusinessPartnerCategory", "eq", "2"),
        ),
        # A composed object: the person's own fields plus `Contact`, its valid contact
        # relationship (A_BusinessPartnerContact, relationship category BUR001) with
        # `to_ContactRelationship` expanded, or null. The relationship has no change stamp;
        # its changes show on the person (sandbox: the person's stamp moves; S/4HANA: business
        # events or change pointers). See connectors/s4hana/contact_person.py.
        EntitySpec(
            "A_BusinessPartner",
            "API_BUSINESS_PARTNER",
            "BusinessPartner",
            changed_on=_PARTNER_CHANGED,
            created_on=_PARTNER_CREATED,
            reference="SearchTerm2",
            where=compare("BusinessPartnerCategory", "eq", "1"),
            name=CONTACT_PERSON,
        ),
        EntitySpec(
            "A_Product",
            "API_PRODUCT_SRV",
            "Product",
            changed_at="LastChangeDateTime",
            expand=("to_Description",),
        ),
        # A composed object: changed PPR0 condition records are polled here and composed
        # into one record per sales organization, channel, currency and material.
        EntitySpec(
            "A_SlsPrcgConditionRecord",
            "API_SLSPRICINGCONDITIONRECORD_SRV",
            "ConditionRecord",
            changed_at="YY1_LastChangeDateTime",
            expand=("to_SlsPrcgCndnRecdValidity",),
            where=compare("ConditionType", "eq", "PPR0"),
            name=LIST_PRICE,
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


def spec_for(object_name: str) -> EntitySpec:
    """The spec of an object, or a clear error naming the ones known."""
    try:
        return CATALOGUE[object_name]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise KeyError(f"unknown S/4HANA object {object_name!r}; known: {known}") from None
