"""The shipped S/4HANA ContactPerson mapping: round trips, salutations and parked records."""

from __future__ import annotations

from typing import Any

import pytest

from causeway.canonical.party import Contact
from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MissingRequiredError, RecordInvalidError, UnresolvedLookupError
from causeway.mapping.loader import MappingCatalog
from causeway.mapping.xref import CANONICAL_SYSTEM, MemoryXref

PERSON = "10000050"
COMPANY = "10000001"


@pytest.fixture
def mapping(shipped: MappingCatalog) -> CompiledMapping:
    return shipped.get("s4hana", "ContactPerson", "contact")


@pytest.fixture
def xref() -> MemoryXref:
    links = MemoryXref()
    links.link("customer", "s4hana", COMPANY, CANONICAL_SYSTEM, "c-1")
    return links


def record(**changes: Any) -> dict[str, Any]:
    """A ContactPerson as the connector reads it (relationship metadata trimmed)."""
    return {
        "BusinessPartner": PERSON,
        "BusinessPartnerCategory": "1",
        "FirstName": "Jane",
        "LastName": "Doe",
        "FormOfAddress": "0001",
        "AcademicTitle": "",
        "Language": "EN",
        "SearchTerm2": "C1A2B3",
        "Contact": {
            "RelationshipNumber": "000000000001",
            "BusinessPartnerCompany": COMPANY,
            "BusinessPartnerPerson": PERSON,
            "RelationshipCategory": "BUR001",
            "to_ContactRelationship": {
                "ContactPersonFunction": "0001",
                "ContactPersonDepartment": "0002",
                "EmailAddress": "Jane.Doe@Example.com",
                "PhoneNumber": "+49 30 1234567",
            },
        },
    } | changes


def test_a_typical_record_round_trips(mapping: CompiledMapping, xref: MemoryXref) -> None:
    contact = mapping.to_canonical(record(), xref=xref)
    assert isinstance(contact, Contact)
    assert (contact.customer_id, contact.external_ids) == ("c-1", {"s4hana": PERSON})
    assert (contact.salutation, contact.first_name, contact.last_name) == ("Ms.", "Jane", "Doe")
    assert (contact.email, contact.phone, contact.language) == (
        "jane.doe@example.com",
        "+49 30 1234567",
        "en",
    )
    # Codes are not job titles or department names: neither is carried.
    assert (contact.title, contact.department, contact.id) == (None, None, None)
    payload = mapping.to_system(contact, xref=xref)
    assert payload == {
        "BusinessPartner": PERSON,
        "BusinessPartnerCategory": "1",
        "FirstName": "Jane",
        "LastName": "Doe",
        "FormOfAddress": "0001",
        "AcademicTitle": "",
        "Language": "EN",
        "Contact": {
            "BusinessPartnerCompany": COMPANY,
            "to_ContactRelationship": {
                "EmailAddress": "jane.doe@example.com",
                "PhoneNumber": "+49 30 1234567",
            },
        },
    }
    assert set(mapping.accepts) == {
        "FirstName",
        "LastName",
        "FormOfAddress",
        "AcademicTitle",
        "Language",
        "Contact",
    }
    assert mapping.to_canonical(payload, xref=xref) == contact


@pytest.mark.parametrize(
    ("salutation", "form_of_address", "academic_title", "read_back"),
    [
        ("Mr.", "0002", "", "Mr."),
        ("Ms.", "0001", "", "Ms."),
        ("Mrs.", "0001", "", "Ms."),  # S/4HANA delivers no key of its own for Mrs.
        ("Dr.", "", "0001", "Dr."),
        ("Prof.", "", "0002", "Prof."),
        (None, "", "", None),
    ],
)
def test_salutations(
    mapping: CompiledMapping,
    xref: MemoryXref,
    salutation: str | None,
    form_of_address: str,
    academic_title: str,
    read_back: str | None,
) -> None:
    contact = Contact(customer_id="c-1", last_name="Doe", salutation=salutation)
    payload = mapping.to_system(contact, xref=xref)
    assert (payload["FormOfAddress"], payload["AcademicTitle"]) == (form_of_address, academic_title)
    back = mapping.to_canonical({"BusinessPartner": PERSON, **payload}, xref=xref)
    assert isinstance(back, Contact)
    assert back.salutation == read_back


def test_an_academic_title_wins_over_the_form_of_address(
    mapping: CompiledMapping, xref: MemoryXref
) -> None:
    contact = mapping.to_canonical(record(FormOfAddress="0002", AcademicTitle="0001"), xref=xref)
    assert isinstance(contact, Contact)
    assert contact.salutation == "Dr."


def test_a_bad_email_parks_naming_record_and_field(
    mapping: CompiledMapping, xref: MemoryXref
) -> None:
    bad = record()
    bad["Contact"]["to_ContactRelationship"]["EmailAddress"] = "jane.example.com"
    with pytest.raises(RecordInvalidError) as raised:
        mapping.to_canonical(bad, xref=xref)
    error = raised.value
    assert (error.field, error.record_key) == ("email", PERSON)
    assert [issue.path for issue in error.issues] == ["email"]
    assert f"s4hana ContactPerson {PERSON}" in error.describe()


def test_a_person_without_contact_relationship_has_no_customer(
    mapping: CompiledMapping, xref: MemoryXref
) -> None:
    with pytest.raises(MissingRequiredError) as raised:
        mapping.to_canonical(record(Contact=None), xref=xref)
    assert raised.value.field == "customer_id"


def test_a_contact_waits_for_its_customer_on_the_way_out(mapping: CompiledMapping) -> None:
    with pytest.raises(UnresolvedLookupError) as raised:
        mapping.to_system(Contact(customer_id="c-2", last_name="Doe"), xref=MemoryXref())
    assert (raised.value.entity, raised.value.from_id) == ("customer", "c-2")
