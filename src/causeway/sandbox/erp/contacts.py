"""Contact persons: a person business partner related to an organisation (category BUR001).

A relationship and its function-and-department data are one row in S/4HANA (BUT051), so the
sandbox creates and removes them together. Neither carries a change stamp of its own: every
change also stamps the person, where a real system announces it by business event or change
pointer, so that change polling on the person sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from causeway.sandbox.erp.errors import bad_request, invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.partners import touch_partner
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.services.business_partner import (
    BP_CONTACT_FUNC_AND_DEPT,
    BUSINESS_PARTNER,
    BUSINESS_PARTNER_CONTACT,
)
from causeway.sandbox.erp.store import Record, key_of
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record, insert, method_not_allowed

CONTACT_CATEGORY = "BUR001"
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
ORGANIZATION = "2"
PERSON = "1"
_KEYS = BUSINESS_PARTNER_CONTACT.keys


def relationship_number(erp: Erp) -> str:
    """The next number of the relationship number range, twelve digits as SAP shows it."""
    return f"{erp.store.next_number('RelationshipNumber', 1):012d}"


def today(erp: Erp) -> datetime:
    """The business date, as Edm.DateTime dates are stored (midnight UTC)."""
    now = erp.clock.now()
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def is_valid(record: Record, day: datetime) -> bool:
    """True while the relationship is in force on `day`."""
    end = record.get("ValidityEndDate")
    start = record.get("ValidityStartDate")
    return (end is None or end >= day) and (start is None or start <= day)


def check_partner(erp: Erp, field: str, partner: str, category: str) -> None:
    """Refuse a partner that does not exist or is of another category, naming `field`."""
    found = erp.store.get(BUSINESS_PARTNER, (partner,))
    entity_set = BUSINESS_PARTNER_CONTACT.entity_set
    if found is None:
        raise invalid_value(entity_set, field, f"Business partner {partner} does not exist")
    if found.get("BusinessPartnerCategory") != category:
        kind = "an organization" if category == ORGANIZATION else "a person"
        raise invalid_value(
            entity_set,
            field,
            f"Business partner {partner} is not {kind} (category "
            f"{found.get('BusinessPartnerCategory')}); {field} must be category {category}",
        )


def check_email(record: Record) -> None:
    """An e-mail address needs an '@' (S/4HANA checks the address's shape too)."""
    email = record.get("EmailAddress")
    if email and "@" not in str(email):
        raise invalid_value(
            BP_CONTACT_FUNC_AND_DEPT.entity_set,
            "EmailAddress",
            f"Property 'EmailAddress' has invalid value '{email}': not an e-mail address",
            record="/".join(key_of(BP_CONTACT_FUNC_AND_DEPT, record)),
        )


class ContactRules:
    """Create, change and end contact relationships between an organisation and a person."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Number the relationship, check both partners, create its function-and-department."""
        record = blank_record(BUSINESS_PARTNER_CONTACT) | payload.values
        require(BUSINESS_PARTNER_CONTACT, record)
        company = str(record["BusinessPartnerCompany"])
        person = str(record["BusinessPartnerPerson"])
        check_partner(erp, "BusinessPartnerCompany", company, ORGANIZATION)
        check_partner(erp, "BusinessPartnerPerson", person, PERSON)
        if record.get("RelationshipCategory") not in (None, "", CONTACT_CATEGORY):
            raise invalid_value(
                entity.entity_set,
                "RelationshipCategory",
                f"A contact relationship has category {CONTACT_CATEGORY}",
            )
        day = today(erp)
        record |= {
            "RelationshipNumber": record.get("RelationshipNumber") or relationship_number(erp),
            "ValidityEndDate": record.get("ValidityEndDate") or OPEN_END,
            "ValidityStartDate": record.get("ValidityStartDate") or day,
            "IsStandardRelationship": bool(record.get("IsStandardRelationship")),
            "RelationshipCategory": CONTACT_CATEGORY,
        }
        self._refuse_second(erp, record, day)
        details = self._details(payload)
        insert(erp, BUSINESS_PARTNER_CONTACT, record)
        create_function_and_department(erp, record, details)
        touch_partner(erp, person)
        return record

    @staticmethod
    def _refuse_second(erp: Erp, record: Record, day: datetime) -> None:
        company, person = record["BusinessPartnerCompany"], record["BusinessPartnerPerson"]
        existing = erp.store.find(
            BUSINESS_PARTNER_CONTACT,
            equal={"BusinessPartnerCompany": company, "BusinessPartnerPerson": person},
        )
        valid = [other for other in existing if is_valid(other, day)]
        if valid and is_valid(record, day):
            raise invalid_value(
                BUSINESS_PARTNER_CONTACT.entity_set,
                "BusinessPartnerPerson",
                f"Business partner {person} already is a contact person of {company} "
                f"(relationship {valid[0]['RelationshipNumber']})",
            )

    @staticmethod
    def _details(payload: Payload) -> Record:
        unknown = sorted(set(payload.children) - {"to_ContactRelationship"})
        if unknown:
            raise bad_request(
                f"Navigation property '{unknown[0]}' cannot be created with a contact",
                entity=BUSINESS_PARTNER_CONTACT.entity_set,
            )
        details = payload.children.get("to_ContactRelationship", [])
        if len(details) > 1:
            raise bad_request(
                "A contact relationship has one to_ContactRelationship",
                entity=BUSINESS_PARTNER_CONTACT.entity_set,
            )
        return dict(details[0].values) if details else {}

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change validity start or the standard flag; the person's stamp moves."""
        record = current | changes
        require(BUSINESS_PARTNER_CONTACT, record)
        erp.store.replace(BUSINESS_PARTNER_CONTACT, record)
        touch_partner(erp, str(record["BusinessPartnerPerson"]))
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """End the relationship: it goes with its function-and-department data."""
        key = key_of(BUSINESS_PARTNER_CONTACT, current)
        erp.store.delete(BUSINESS_PARTNER_CONTACT, key)
        erp.store.delete(BP_CONTACT_FUNC_AND_DEPT, key)
        touch_partner(erp, str(current["BusinessPartnerPerson"]))


class ContactFunctionRules:
    """Function, department, e-mail and phone of a contact: changed by PATCH only."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Created with its relationship, never alone."""
        raise method_not_allowed(entity, "POST")

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Apply the changes, check the e-mail address, stamp the person."""
        record = current | changes
        check_email(record)
        erp.store.replace(BP_CONTACT_FUNC_AND_DEPT, record)
        touch_partner(erp, str(record["BusinessPartnerPerson"]))
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Removed with its relationship, never alone."""
        raise method_not_allowed(entity, "DELETE")


def create_function_and_department(erp: Erp, relationship: Record, values: Record) -> Record:
    """The function-and-department row of a new relationship, with the relationship's key."""
    record = blank_record(BP_CONTACT_FUNC_AND_DEPT) | values
    record |= {name: relationship[name] for name in _KEYS}
    record["RelationshipCategory"] = CONTACT_CATEGORY
    check_email(record)
    insert(erp, BP_CONTACT_FUNC_AND_DEPT, record)
    return record
