"""ContactPerson on the wire, against an in-process OData double: filters, chunks, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass, InvalidRecordError
from causeway.connectors.s4hana.catalogue import spec_for
from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.s4hana.contact_person import current_relationship
from causeway.connectors.watermark import Watermark

Handler = Callable[[httpx.Request], httpx.Response]
SETTINGS = S4Settings(base_url="http://erp", username="U", password=SecretStr("p"))


def connector(handler: Handler) -> S4Connector:
    client = S4Client(SETTINGS, transport=httpx.MockTransport(handler))
    return S4Connector(SETTINGS, settle=timedelta(0), client=client)


def collection(rows: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"d": {"results": rows}})


def person_row(number: str) -> dict[str, Any]:
    return {
        "__metadata": {"uri": f"http://erp/A_BusinessPartner('{number}')"},
        "BusinessPartner": number,
        "BusinessPartnerCategory": "1",
        "LastName": f"Person {number}",
        "CreationDate": "/Date(1714521600000)/",
        "CreationTime": "PT10H00M00S",
    }


def relationship_row(person: str, company: str, *, standard: bool = False) -> dict[str, Any]:
    return {
        "__metadata": {"uri": f"http://erp/A_BusinessPartnerContact('{person}{company}')"},
        "RelationshipNumber": "000000000001",
        "BusinessPartnerCompany": company,
        "BusinessPartnerPerson": person,
        "ValidityStartDate": "/Date(1714521600000)/",
        "IsStandardRelationship": standard,
        "to_ContactRelationship": {"EmailAddress": f"{person}@example.com"},
    }


def test_customers_and_contact_persons_read_their_own_category() -> None:
    customers, persons = spec_for("A_BusinessPartner"), spec_for("ContactPerson")
    assert customers.entity_set == persons.entity_set == "A_BusinessPartner"
    assert customers.where is not None
    assert persons.where is not None
    assert customers.where.text == "BusinessPartnerCategory eq '2'"
    assert persons.where.text == "BusinessPartnerCategory eq '1'"


def test_the_fixed_condition_is_and_ed_with_the_change_filter() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["$filter"])
        return collection([])

    s4 = connector(handler)
    cursor = Watermark.decode('{"t": "2024-05-01T10:00:00+00:00", "id": "1"}')
    assert cursor is not None
    asyncio.run(s4.changes("A_BusinessPartner", cursor.encode(), 10))
    assert seen[0].startswith("(BusinessPartnerCategory eq '2' and (")
    assert "LastChangeDate" in seen[0]


def test_read_by_id_queries_relationships_in_chunks_of_forty() -> None:
    ids = [str(10_000_000 + n) for n in range(45)]
    relationship_filters: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        condition = request.url.params["$filter"]
        if request.url.path.endswith("/A_BusinessPartner"):
            assert condition.startswith("(BusinessPartnerCategory eq '1' and (")
            return collection([person_row(n) for n in ids if f"'{n}'" in condition])
        assert request.url.path.endswith("/A_BusinessPartnerContact")
        assert request.url.params["$expand"] == "to_ContactRelationship"
        relationship_filters.append(condition)
        return collection([relationship_row(ids[0], "20000001")] if ids[0] in condition else [])

    records = asyncio.run(connector(handler).read("ContactPerson", ids))
    assert [condition.count("BusinessPartnerPerson eq") for condition in relationship_filters] == [
        40,
        5,
    ]
    assert all("ValidityEndDate ge datetime'" in c for c in relationship_filters)
    assert len(records) == 45
    assert {record.object_name for record in records} == {"ContactPerson"}
    assert records[0].fields["Contact"]["BusinessPartnerCompany"] == "20000001"
    assert records[1].fields["Contact"] is None


def test_the_standard_relationship_is_the_one_shown() -> None:
    plain = relationship_row("1", "A")
    standard = relationship_row("1", "B", standard=True)
    assert current_relationship([plain, standard]) is standard
    assert current_relationship([]) is None


def test_a_contact_without_company_is_refused_before_any_write() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        if request.method == "GET" and request.url.path.endswith("/A_BusinessPartner('7')"):
            return httpx.Response(200, json={"d": person_row("7")})
        return collection([])

    request = WriteRequest(
        object_name="ContactPerson",
        operation=WriteOperation.UPDATE,
        key=WriteKey(system_id="7"),
        fields={"Contact": {"to_ContactRelationship": {"EmailAddress": "a@b.example"}}},
        idempotency_key="k",
    )
    [result] = asyncio.run(connector(handler).write([request]))
    assert isinstance(result.error, InvalidRecordError)
    assert result.error.field == "Contact.BusinessPartnerCompany"
    assert set(methods) <= {"GET"}  # nothing written


def test_a_refused_relationship_names_the_record_and_the_payload_field() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.headers.get("x-csrf-token") == "Fetch":
            return httpx.Response(200, headers={"x-csrf-token": "t"})
        if request.method == "GET" and "A_BusinessPartner('7')" in request.url.path:
            return httpx.Response(200, json={"d": person_row("7")})
        if request.method == "GET":
            return collection([])
        body = json.loads(request.content)
        assert body["BusinessPartnerPerson"] == "7"
        error = {
            "code": "/IWBEP/CM_MGW_RT/004",
            "message": {"lang": "en", "value": "not an e-mail address"},
            "innererror": {"errordetails": [{"target": "EmailAddress"}]},
        }
        return httpx.Response(400, json={"error": error})

    request = WriteRequest(
        object_name="ContactPerson",
        operation=WriteOperation.UPDATE,
        key=WriteKey(system_id="7"),
        fields={
            "Contact": {
                "BusinessPartnerCompany": "20000001",
                "to_ContactRelationship": {"EmailAddress": "nope"},
            }
        },
        idempotency_key="k",
    )
    [result] = asyncio.run(connector(handler).write([request]))
    assert result.error is not None
    assert result.error.error_class is ErrorClass.INVALID
    assert (result.error.object_name, result.error.record_id) == ("ContactPerson", "7")
    assert result.error.field == "Contact.to_ContactRelationship.EmailAddress"


@pytest.mark.parametrize("name", ["A_BusinessPartner", "ContactPerson"])
def test_describe_names_the_object(name: str) -> None:
    schema = asyncio.run(connector(lambda request: collection([])).describe(name))
    assert schema.name == name
    assert schema.external_id_fields == ("SearchTerm2",)
    assert ("Contact" in schema.fields) == (name == "ContactPerson")
