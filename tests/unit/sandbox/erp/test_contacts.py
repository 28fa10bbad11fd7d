"""Contact relationships over HTTP: numbering, partner checks, one per pair, change stamps."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.unit.sandbox.erp.conftest import ODATA

BP = f"{ODATA}/API_BUSINESS_PARTNER"
COMPANY = "10000001"
OPEN_END = "/Date(253402214400000)/"


def _person(client: TestClient, last: str = "Doe") -> str:
    body = {"BusinessPartnerCategory": "1", "FirstName": "Jane", "LastName": last}
    created = client.post(f"{BP}/A_BusinessPartner", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["d"]["BusinessPartner"])


def _relate(client: TestClient, person: str, company: str = COMPANY, **extra: Any) -> Any:
    body = {"BusinessPartnerCompany": company, "BusinessPartnerPerson": person, **extra}
    return client.post(f"{BP}/A_BusinessPartnerContact", json=body)


def _target(response: Any) -> str:
    return str(response.json()["error"]["innererror"]["errordetails"][0]["target"])


def _path(uri: str) -> str:
    return BP + uri.split("API_BUSINESS_PARTNER", 1)[1]


def test_defaults_number_validity_and_category(client: TestClient) -> None:
    created = _relate(client, _person(client))
    body = created.json()["d"]
    assert created.status_code == 201
    assert len(body["RelationshipNumber"]) == 12
    assert body["RelationshipNumber"].lstrip("0").isdigit()
    assert (body["ValidityEndDate"], body["RelationshipCategory"]) == (OPEN_END, "BUR001")
    assert "ValidityEndDate=datetime'9999-12-31T00:00:00'" in body["__metadata"]["uri"]


def test_each_partner_must_exist_and_be_of_its_category(client: TestClient) -> None:
    person = _person(client)
    missing = _relate(client, person, company="99999999")
    person_as_company = _relate(client, person, company=person)
    company_as_person = _relate(client, "10000002")
    assert (missing.status_code, _target(missing)) == (400, "BusinessPartnerCompany")
    assert _target(person_as_company) == "BusinessPartnerCompany"
    assert "not an organization" in person_as_company.json()["error"]["message"]["value"]
    assert _target(company_as_person) == "BusinessPartnerPerson"


def test_one_valid_relationship_per_company_and_person(client: TestClient) -> None:
    person = _person(client)
    first = _relate(client, person)
    second = _relate(client, person)
    elsewhere = _relate(client, person, company="10000002")
    assert first.status_code == 201
    assert (second.status_code, _target(second)) == (400, "BusinessPartnerPerson")
    assert elsewhere.status_code == 201
    client.delete(_path(first.json()["d"]["__metadata"]["uri"]))
    assert _relate(client, person).status_code == 201


def test_contacts_of_an_organisation_and_deep_insert_with_it(client: TestClient) -> None:
    person = _person(client)
    nav = client.post(
        f"{BP}/A_BusinessPartner('{COMPANY}')/to_BusinessPartnerContact",
        json={"BusinessPartnerPerson": person},
    )
    organisation = client.post(
        f"{BP}/A_BusinessPartner",
        json={
            "BusinessPartnerCategory": "2",
            "OrganizationBPName1": "Newco",
            "to_BusinessPartnerContact": [{"BusinessPartnerPerson": person}],
        },
    ).json()["d"]["BusinessPartner"]
    listed = client.get(
        f"{BP}/A_BusinessPartner('{organisation}')/to_BusinessPartnerContact"
    ).json()["d"]["results"]
    assert nav.json()["d"]["BusinessPartnerCompany"] == COMPANY
    assert [(c["BusinessPartnerCompany"], c["BusinessPartnerPerson"]) for c in listed] == [
        (organisation, person)
    ]


def test_function_and_department_exist_with_the_relationship_only(client: TestClient) -> None:
    person = _person(client)
    created = _relate(client, person).json()["d"]
    details = client.get(_path(created["__metadata"]["uri"]) + "/to_ContactRelationship")
    alone = client.post(
        f"{BP}/A_BPContactToFuncAndDept",
        json={
            "RelationshipNumber": "1",
            "BusinessPartnerCompany": COMPANY,
            "BusinessPartnerPerson": person,
            "ValidityEndDate": OPEN_END,
        },
    )
    assert details.json()["d"]["EmailAddress"] is None
    assert alone.status_code == 405
    client.delete(_path(created["__metadata"]["uri"]))
    assert client.get(_path(details.json()["d"]["__metadata"]["uri"])).status_code == 404


def test_email_needs_an_at_sign_on_create_and_update(client: TestClient) -> None:
    person = _person(client)
    refused = _relate(client, person, to_ContactRelationship={"EmailAddress": "no-at-sign"})
    created = _relate(client, person, to_ContactRelationship={"EmailAddress": "a@b.example"})
    uri = _path(created.json()["d"]["__metadata"]["uri"]) + "/to_ContactRelationship"
    details = _path(client.get(uri).json()["d"]["__metadata"]["uri"])
    patched = client.patch(details, json={"EmailAddress": "still-no-at-sign"})
    assert (refused.status_code, _target(refused)) == (400, "EmailAddress")
    assert (patched.status_code, _target(patched)) == (400, "EmailAddress")
    assert client.get(details).json()["d"]["EmailAddress"] == "a@b.example"


def test_a_change_of_the_relationship_stamps_the_person(
    client: TestClient, admin_client: TestClient
) -> None:
    person = _person(client)
    created = _relate(client, person).json()["d"]

    def stamp() -> tuple[str, str]:
        partner = client.get(f"{BP}/A_BusinessPartner('{person}')").json()["d"]
        return partner["LastChangeDate"], partner["LastChangeTime"]

    before = stamp()
    admin_client.post("/__admin/clock/advance", json={"minutes": 5})
    relationship = _path(created["__metadata"]["uri"])
    client.patch(relationship, json={"IsStandardRelationship": True})
    after_update = stamp()
    admin_client.post("/__admin/clock/advance", json={"minutes": 5})
    details = relationship.replace("A_BusinessPartnerContact(", "A_BPContactToFuncAndDept(")
    client.patch(details, json={"PhoneNumber": "+49 30 1234"})
    after_details = stamp()
    assert before < after_update < after_details


def test_keys_need_a_datetime_validity(client: TestClient) -> None:
    created = _relate(client, _person(client)).json()["d"]
    uri = _path(created["__metadata"]["uri"])
    quoted = uri.replace("datetime'9999-12-31T00:00:00'", "'9999-12-31'")
    changed = client.patch(uri, json={"ValidityEndDate": "/Date(0)/"})
    assert client.get(quoted).status_code == 400
    assert changed.status_code == 400
    assert "cannot be changed" in changed.json()["error"]["message"]["value"]


def test_filter_by_validity_date(client: TestClient) -> None:
    person = _person(client)
    _relate(client, person)
    found = client.get(
        f"{BP}/A_BusinessPartnerContact",
        params={
            "$filter": f"BusinessPartnerPerson eq '{person}' and "
            "ValidityEndDate ge datetime'2100-01-01T00:00:00'",
        },
    ).json()["d"]["results"]
    assert [c["BusinessPartnerPerson"] for c in found] == [person]
