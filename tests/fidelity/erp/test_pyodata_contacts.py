"""pyodata and contact persons: relationships, their function-and-department, change stamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyodata
import pytest

from causeway.sandbox.seed import SeedUniverse

COMPANY = "10000003"
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)


def _changed(partner: Any) -> tuple[datetime, Any]:
    return partner.LastChangeDate, partner.LastChangeTime


def _person(service: Any, first: str, last: str) -> Any:
    return (
        service.entity_sets.A_BusinessPartner.create_entity()
        .set(BusinessPartnerCategory="1", FirstName=first, LastName=last, FormOfAddress="0002")
        .execute()
    )


def _contact(service: Any, person: str) -> Any:
    return (
        service.entity_sets.A_BusinessPartnerContact.get_entities()
        .filter(f"BusinessPartnerPerson eq '{person}'")
        .expand("to_ContactRelationship")
        .execute()
    )


def test_metadata_describes_contacts(odata: Callable[[str], Any]) -> None:
    schema = odata("API_BUSINESS_PARTNER").schema
    contact = schema.entity_type("A_BusinessPartnerContactType")
    details = schema.entity_type("A_BPContactToFuncAndDeptType")
    partner = schema.entity_type("A_BusinessPartnerType")
    keys = [
        "RelationshipNumber",
        "BusinessPartnerCompany",
        "BusinessPartnerPerson",
        "ValidityEndDate",
    ]
    assert [prop.name for prop in contact.key_proprties] == keys
    assert [prop.name for prop in details.key_proprties] == keys
    assert contact.proprty("ValidityEndDate").typ.name == "Edm.DateTime"
    assert details.proprty("EmailAddress").max_length == 241
    assert details.proprty("ContactPersonFunction").max_length == 4
    assert contact.nav_proprty("to_ContactRelationship").to_role.entity_type == details
    assert partner.nav_proprty("to_BusinessPartnerContact").to_role.entity_type == contact
    assert {"A_BusinessPartnerContact", "A_BPContactToFuncAndDept"} <= {
        entity_set.name for entity_set in schema.entity_sets
    }


def test_create_with_deep_insert_then_read_by_person(odata: Callable[[str], Any]) -> None:
    service = odata("API_BUSINESS_PARTNER")
    person = _person(service, "Ada", "Lovelace")
    created = (
        service.entity_sets.A_BusinessPartnerContact.create_entity()
        .set(
            BusinessPartnerCompany=COMPANY,
            BusinessPartnerPerson=person.BusinessPartner,
            to_ContactRelationship={
                "ContactPersonDepartment": "0002",
                "ContactPersonFunction": "0001",
                "EmailAddress": "ada@example.com",
                "PhoneNumber": "+44 20 7946 0000",
            },
        )
        .execute()
    )
    [found] = _contact(service, person.BusinessPartner)
    details = found.to_ContactRelationship
    assert created.RelationshipNumber == "000000000001"
    assert created.RelationshipCategory == "BUR001"
    assert found.ValidityEndDate == OPEN_END
    assert (details.EmailAddress, details.PhoneNumber) == ("ada@example.com", "+44 20 7946 0000")
    assert (details.ContactPersonDepartment, details.ContactPersonFunction) == ("0002", "0001")
    contacts = (
        service.entity_sets.A_BusinessPartner.get_entity(COMPANY)
        .nav("to_BusinessPartnerContact")
        .get_entities()
        .execute()
    )
    assert [c.BusinessPartnerPerson for c in contacts] == [person.BusinessPartner]


def test_update_email_moves_the_persons_change_stamp(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]]
) -> None:
    service = odata("API_BUSINESS_PARTNER")
    person = _person(service, "Grace", "Hopper")
    service.entity_sets.A_BusinessPartner.get_entity(COMPANY).nav(
        "to_BusinessPartnerContact"
    ).create_entity().set(
        BusinessPartnerPerson=person.BusinessPartner,
        to_ContactRelationship={"EmailAddress": "grace@example.com"},
    ).execute()
    [contact] = _contact(service, person.BusinessPartner)
    partners = service.entity_sets.A_BusinessPartner
    before = _changed(partners.get_entity(person.BusinessPartner).execute())
    admin("clock/advance", {"minutes": 90})
    service.entity_sets.A_BPContactToFuncAndDept.update_entity(
        RelationshipNumber=contact.RelationshipNumber,
        BusinessPartnerCompany=COMPANY,
        BusinessPartnerPerson=person.BusinessPartner,
        ValidityEndDate=contact.ValidityEndDate,
    ).set(EmailAddress="grace.hopper@example.com").execute()
    [after] = _contact(service, person.BusinessPartner)
    assert after.to_ContactRelationship.EmailAddress == "grace.hopper@example.com"
    assert _changed(partners.get_entity(person.BusinessPartner).execute()) > before


def test_an_email_without_at_sign_is_refused(odata: Callable[[str], Any]) -> None:
    service = odata("API_BUSINESS_PARTNER")
    person = _person(service, "Alan", "Turing")
    with pytest.raises(pyodata.exceptions.HttpError) as raised:
        service.entity_sets.A_BusinessPartnerContact.create_entity().set(
            BusinessPartnerCompany=COMPANY,
            BusinessPartnerPerson=person.BusinessPartner,
            to_ContactRelationship={"EmailAddress": "alan.example.com"},
        ).execute()
    error = raised.value.response.json()["error"]
    assert raised.value.response.status_code == 400
    assert error["innererror"]["errordetails"][0]["target"] == "EmailAddress"
    assert list(_contact(service, person.BusinessPartner)) == []


def test_an_organisation_cannot_be_the_person(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    service = odata("API_BUSINESS_PARTNER")
    with pytest.raises(pyodata.exceptions.HttpError) as raised:
        service.entity_sets.A_BusinessPartnerContact.create_entity().set(
            BusinessPartnerCompany=COMPANY, BusinessPartnerPerson="10000004"
        ).execute()
    error = raised.value.response.json()["error"]
    assert error["innererror"]["errordetails"][0]["target"] == "BusinessPartnerPerson"


def test_delete_ends_the_relationship_and_stamps_the_person(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]]
) -> None:
    service = odata("API_BUSINESS_PARTNER")
    person = _person(service, "Edsger", "Dijkstra")
    created = (
        service.entity_sets.A_BusinessPartnerContact.create_entity()
        .set(BusinessPartnerCompany=COMPANY, BusinessPartnerPerson=person.BusinessPartner)
        .execute()
    )
    partners = service.entity_sets.A_BusinessPartner
    before = _changed(partners.get_entity(person.BusinessPartner).execute())
    admin("clock/advance", {"minutes": 90})
    service.entity_sets.A_BusinessPartnerContact.delete_entity(
        RelationshipNumber=created.RelationshipNumber,
        BusinessPartnerCompany=COMPANY,
        BusinessPartnerPerson=person.BusinessPartner,
        ValidityEndDate=created.ValidityEndDate,
    ).execute()
    assert list(_contact(service, person.BusinessPartner)) == []
    assert _changed(partners.get_entity(person.BusinessPartner).execute()) > before
