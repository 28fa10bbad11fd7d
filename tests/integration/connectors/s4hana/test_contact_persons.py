"""ContactPerson against the ERP sandbox: person plus relationship, retry-safe, change feed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.odata import compare
from causeway.sandbox.faults import FaultPlan
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio

SERVICE = "API_BUSINESS_PARTNER"


def reference() -> str:
    return uuid.uuid4().hex[:16].upper()


def contact_person(
    ref: str, company: str, *, email: str = "jane.doe@example.com", last: str = "Doe"
) -> WriteRequest:
    return WriteRequest(
        object_name="ContactPerson",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=ref),
        fields={
            "BusinessPartnerCategory": "1",
            "FirstName": "Jane",
            "LastName": last,
            "FormOfAddress": "0001",
            "Language": "EN",
            "Contact": {
                "BusinessPartnerCompany": company,
                "to_ContactRelationship": {
                    "EmailAddress": email,
                    "PhoneNumber": "+49 30 1234567",
                },
            },
        },
        idempotency_key=f"{ref}:{company}:{email}",
    )


async def organisations(connector: S4Connector, count: int) -> list[str]:
    page = await connector.changes("A_BusinessPartner", None, 5000)
    return [record.id for record in page.records[:count]]


async def rows(connector: S4Connector, entity_set: str, condition: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async for page in connector.client.pages(SERVICE, entity_set, {"$filter": condition}):
        found.extend(page)
    return found


async def test_create_then_read_the_composed_record(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [company] = await organisations(connector, 1)
        ref = reference()
        [result] = await connector.write([contact_person(ref, company)])
        assert result.ok, result.error
        assert result.created
        [record] = await connector.read("ContactPerson", [str(result.system_id)])
        assert record.object_name == "ContactPerson"
        assert (record.fields["FirstName"], record.fields["BusinessPartnerCategory"]) == (
            "Jane",
            "1",
        )
        contact = record.fields["Contact"]
        assert contact["BusinessPartnerCompany"] == company
        assert contact["RelationshipCategory"] == "BUR001"
        details = contact["to_ContactRelationship"]
        assert (details["EmailAddress"], details["PhoneNumber"]) == (
            "jane.doe@example.com",
            "+49 30 1234567",
        )
        [again] = await connector.write([contact_person(ref, company)])
        assert again.ok, again.error
        assert (again.system_id, again.created) == (result.system_id, False)
    finally:
        await connector.aclose()


async def test_lost_answers_then_retry_create_one_person_and_one_relationship(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.s4(timeout_s=1.0)
    ref = reference()
    try:
        [company] = await organisations(connector, 1)
        request = contact_person(ref, company)
        sandbox.set_faults("erp", FaultPlan(ambiguous_write_rate=1.0, ambiguous_delay_s=1.5))
        # First attempt: the person is created, its answer lost.
        [lost_person] = await connector.write([request])
        # Second attempt: the person is found by its reference; the relationship's answer is lost.
        [lost_contact] = await connector.write([request])
        sandbox.set_faults("erp", FaultPlan())
        await asyncio.sleep(1.0)
        [retried] = await connector.write([request])
        assert lost_person.error is not None
        assert lost_person.error.ambiguous
        assert lost_contact.error is not None
        assert lost_contact.error.ambiguous
        assert lost_contact.error.object_name == "ContactPerson"
        assert retried.ok, retried.error
        assert not retried.created
        people = await rows(connector, "A_BusinessPartner", compare("SearchTerm2", "eq", ref).text)
        assert [person["BusinessPartner"] for person in people] == [retried.system_id]
        person = str(retried.system_id)
        contacts = await rows(
            connector,
            "A_BusinessPartnerContact",
            compare("BusinessPartnerPerson", "eq", person).text,
        )
        assert [c["BusinessPartnerCompany"] for c in contacts] == [company]
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()


async def test_an_email_changed_in_the_erp_shows_in_the_change_feed(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [company] = await organisations(connector, 1)
        [created] = await connector.write([contact_person(reference(), company)])
        assert created.ok, created.error
        person = str(created.system_id)
        await asyncio.sleep(1.1)  # partner stamps have whole seconds
        start = await connector.changes("ContactPerson", None, 5000)
        assert person in [record.id for record in start.records]
        await asyncio.sleep(1.1)
        [record] = await connector.read("ContactPerson", [person])
        uri = record.fields["Contact"]["to_ContactRelationship"]["__metadata"]["uri"]
        await connector.client.request(
            "PATCH", SERVICE, uri, json={"EmailAddress": "jane@elsewhere.example"}
        )
        await asyncio.sleep(1.1)
        later = await connector.changes("ContactPerson", start.cursor, 100)
        [changed] = [record for record in later.records if record.id == person]
        details = changed.fields["Contact"]["to_ContactRelationship"]
        assert details["EmailAddress"] == "jane@elsewhere.example"
    finally:
        await connector.aclose()


async def test_a_company_change_moves_the_relationship(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        first, second = await organisations(connector, 2)
        [created] = await connector.write([contact_person(reference(), first)])
        assert created.ok, created.error
        person = str(created.system_id)
        move = WriteRequest(
            object_name="ContactPerson",
            operation=WriteOperation.UPDATE,
            key=WriteKey(system_id=person),
            fields={
                "LastName": "Doe-Smith",
                "Contact": {
                    "BusinessPartnerCompany": second,
                    "to_ContactRelationship": {"EmailAddress": "jane@second.example"},
                },
            },
            idempotency_key=f"{person}:move",
        )
        [moved] = await connector.write([move])
        assert moved.ok, moved.error
        [again] = await connector.write([move])  # nothing left to do
        assert again.ok, again.error
        [record] = await connector.read("ContactPerson", [person])
        assert record.fields["LastName"] == "Doe-Smith"
        contact = record.fields["Contact"]
        assert contact["BusinessPartnerCompany"] == second
        assert contact["to_ContactRelationship"]["EmailAddress"] == "jane@second.example"
        contacts = await rows(
            connector,
            "A_BusinessPartnerContact",
            compare("BusinessPartnerPerson", "eq", person).text,
        )
        assert [c["BusinessPartnerCompany"] for c in contacts] == [second]
    finally:
        await connector.aclose()


async def test_customers_are_organisations_only(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [company] = await organisations(connector, 1)
        ref = reference()
        [created] = await connector.write([contact_person(ref, company)])
        assert created.ok, created.error
        person = str(created.system_id)
        await asyncio.sleep(1.1)
        customers = await connector.changes("A_BusinessPartner", None, 5000)
        assert person not in [record.id for record in customers.records]
        assert await connector.read("A_BusinessPartner", [person]) == []
        # The person's reference is not a customer's: an organisation write creates its own.
        organisation = WriteRequest(
            object_name="A_BusinessPartner",
            operation=WriteOperation.UPSERT,
            key=WriteKey(external_field="SearchTerm2", external_value=ref),
            fields={"BusinessPartnerCategory": "2", "OrganizationBPName1": "Not A Person AG"},
            idempotency_key=f"{ref}:organisation",
        )
        [written] = await connector.write([organisation])
        assert written.ok, written.error
        assert written.created
        assert written.system_id != person
        contact_persons = await connector.changes("ContactPerson", None, 5000)
        assert written.system_id not in [record.id for record in contact_persons.records]
    finally:
        await connector.aclose()


async def test_a_bad_email_names_the_record_and_the_field(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [company] = await organisations(connector, 1)
        [result] = await connector.write(
            [contact_person(reference(), company, email="jane.example.com")]
        )
        assert result.error is not None
        assert result.error.error_class is ErrorClass.INVALID
        assert result.error.object_name == "ContactPerson"
        assert result.error.field == "Contact.to_ContactRelationship.EmailAddress"
        assert result.error.record_id
        assert "Contact.to_ContactRelationship.EmailAddress" in result.error.describe()
    finally:
        await connector.aclose()


async def test_delete_ends_the_relationship_and_keeps_the_person(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [company] = await organisations(connector, 1)
        [created] = await connector.write([contact_person(reference(), company)])
        assert created.ok, created.error
        person = str(created.system_id)
        delete = WriteRequest(
            object_name="ContactPerson",
            operation=WriteOperation.DELETE,
            key=WriteKey(system_id=person),
            fields={},
            idempotency_key=f"{person}:delete",
        )
        [deleted] = await connector.write([delete])
        assert deleted.ok, deleted.error
        [record] = await connector.read("ContactPerson", [person])
        assert record.fields["Contact"] is None
    finally:
        await connector.aclose()
