"""Business partner rules: internal numbering, derived names, addresses and the customer role.

A business partner created with a deep-inserted to_Customer becomes a customer with the same
number and a default sales area, as S/4HANA's customer-vendor integration does.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from causeway.sandbox.erp.errors import invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.services.business_partner import (
    BUSINESS_PARTNER,
    BUSINESS_PARTNER_ADDRESS,
    CUSTOMER,
    CUSTOMER_SALES_AREA,
)
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import StandardRules, blank_record, create_children, insert

FIRST_PARTNER = 10_000_001
FIRST_ADDRESS = 22_000_001
DEFAULT_SALES_AREA = ("1010", "10", "00")


def full_name(record: Record) -> str:
    """The display name SAP derives: Name 1 + Name 2 for organisations, first + last for persons."""
    if record.get("BusinessPartnerCategory") == "1":
        parts = (record.get("FirstName"), record.get("LastName"))
    else:
        parts = (record.get("OrganizationBPName1"), record.get("OrganizationBPName2"))
    return " ".join(part for part in parts if part)[:81]


def _derive(erp: Erp, record: Record) -> None:
    name = full_name(record)
    record["BusinessPartnerFullName"] = name
    record["BusinessPartnerName"] = name
    if not record.get("SearchTerm1"):
        record["SearchTerm1"] = name.upper()[:20]
    record["ETag"] = erp.clock.now().strftime("%Y%m%d%H%M%S")


class BusinessPartnerRules:
    """Create and change business partners."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Create a partner with optional addresses and customer role."""
        record = blank_record(BUSINESS_PARTNER) | payload.values
        require(BUSINESS_PARTNER, record)
        if record["BusinessPartnerCategory"] not in ("1", "2", "3"):
            raise invalid_value(
                BUSINESS_PARTNER.entity_set, "BusinessPartnerCategory",
                "BusinessPartnerCategory must be 1 (person), 2 (organization) or 3 (group)",
            )
        if not record.get("BusinessPartner"):
            record["BusinessPartner"] = str(erp.store.next_number("BusinessPartner", FIRST_PARTNER))
        record["BusinessPartnerUUID"] = uuid.uuid4()
        record["BusinessPartnerGrouping"] = record.get("BusinessPartnerGrouping") or "BP02"
        _derive(erp, record)
        customer_payloads = payload.children.get("to_Customer", [])
        if customer_payloads:
            record["Customer"] = record["BusinessPartner"]
        erp.stamp(BUSINESS_PARTNER, record, created=True)
        insert(erp, BUSINESS_PARTNER, record)
        for address in payload.children.get("to_BusinessPartnerAddress", []):
            address.values["BusinessPartner"] = record["BusinessPartner"]
            create_address(erp, address.values)
        for customer in customer_payloads:
            create_customer(erp, record, customer.values)
        # Other deep inserts (contact relationships of a new organisation) go through the
        # rules of their own entity set.
        others = {
            name: children
            for name, children in payload.children.items()
            if name not in ("to_BusinessPartnerAddress", "to_Customer")
        }
        create_children(erp, BUSINESS_PARTNER, record, Payload({}, others))
        return record

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Apply changes, re-derive names and propagate the name to the customer."""
        record = current | changes
        require(BUSINESS_PARTNER, record)
        _derive(erp, record)
        erp.stamp(BUSINESS_PARTNER, record, created=False)
        erp.store.replace(BUSINESS_PARTNER, record)
        customer = erp.store.get(CUSTOMER, (str(record.get("Customer")),))
        if customer is not None:
            customer["CustomerName"] = record["BusinessPartnerFullName"][:80]
            customer["CustomerFullName"] = record["BusinessPartnerFullName"]
            erp.store.replace(CUSTOMER, customer)
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Business partners are archived, never deleted, through this API."""
        raise invalid_value(BUSINESS_PARTNER.entity_set, "BusinessPartner", "Deletion not allowed")


class AddressRules:
    """Addresses get an address number from the central number range."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Add an address to an existing partner."""
        return create_address(erp, payload.values)

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change an address; the partner's change date moves with it."""
        record = current | changes
        require(BUSINESS_PARTNER_ADDRESS, record)
        erp.store.replace(BUSINESS_PARTNER_ADDRESS, record)
        touch_partner(erp, str(record["BusinessPartner"]))
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Remove an address."""
        erp.store.delete(
            BUSINESS_PARTNER_ADDRESS, (current["BusinessPartner"], current["AddressID"])
        )
        touch_partner(erp, str(current["BusinessPartner"]))


class CustomerPartRules(StandardRules):
    """The customer role and its sales areas: a change moves the partner's change stamp.

    S/4HANA keeps A_BusinessPartner's LastChangeDate for central data only, but raises its
    BusinessPartner.Changed business event for customer and sales-area changes too; the
    sandbox stands in for that event by moving the partner's stamp, so polling sees them.
    """

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Apply the change, then stamp the partner."""
        record = super().update(erp, entity, current, changes)
        touch_partner(erp, str(record["Customer"]))
        return record


def touch_partner(erp: Erp, partner: str) -> None:
    """Stamp the partner's change date and time, as a change of data hanging off it does."""
    record = erp.store.get(BUSINESS_PARTNER, (partner,))
    if record is not None:
        erp.stamp(BUSINESS_PARTNER, record, created=False)
        erp.store.replace(BUSINESS_PARTNER, record)


def create_address(erp: Erp, values: Record) -> Record:
    """Insert an address for an existing partner, numbering it if needed."""
    partner = str(values.get("BusinessPartner") or "")
    if erp.store.get(BUSINESS_PARTNER, (partner,)) is None:
        raise invalid_value(
            BUSINESS_PARTNER_ADDRESS.entity_set, "BusinessPartner",
            f"Business partner {partner} does not exist",
        )
    record = blank_record(BUSINESS_PARTNER_ADDRESS) | values
    if not record.get("AddressID"):
        record["AddressID"] = str(erp.store.next_number("AddressID", FIRST_ADDRESS))
    record["AddressUUID"] = uuid.uuid4()
    require(BUSINESS_PARTNER_ADDRESS, record)
    insert(erp, BUSINESS_PARTNER_ADDRESS, record)
    return record


def create_customer(erp: Erp, partner: Record, values: Record) -> Record:
    """Give `partner` the customer role with a default sales area."""
    customer = blank_record(CUSTOMER) | values
    customer |= {
        "Customer": partner["BusinessPartner"],
        "CustomerName": str(partner["BusinessPartnerFullName"])[:80],
        "CustomerFullName": partner["BusinessPartnerFullName"],
        "CustomerAccountGroup": customer.get("CustomerAccountGroup") or "CUST",
    }
    erp.stamp(CUSTOMER, customer, created=True)
    insert(erp, CUSTOMER, customer)
    organization, channel, division = DEFAULT_SALES_AREA
    insert(erp, CUSTOMER_SALES_AREA, blank_record(CUSTOMER_SALES_AREA) | {
        "Customer": customer["Customer"],
        "SalesOrganization": organization,
        "DistributionChannel": channel,
        "Division": division,
        "Currency": "EUR",
        "CustomerPaymentTerms": "NT30",
        "YY1_CreditExposureAmount": Decimal(0),
        "YY1_CustomerDiscountPercent": Decimal(0),
    })
    return customer
