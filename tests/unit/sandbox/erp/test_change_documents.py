"""Change documents: every client write leaves the object's version, in order."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.sandbox.erp.conftest import ODATA

BP = f"{ODATA}/API_BUSINESS_PARTNER"


def test_each_write_leaves_a_change_document_in_order(
    client: TestClient, admin_client: TestClient
) -> None:
    for name in ("First", "Second", "Third"):
        answer = client.patch(
            f"{BP}/A_BusinessPartner('10000003')", json={"OrganizationBPName1": name}
        )
        assert answer.status_code == 204
    documents = admin_client.get(
        "/__admin/change-documents/A_BusinessPartner", params={"key": "10000003"}
    ).json()
    assert [d["body"]["OrganizationBPName1"] for d in documents] == ["First", "Second", "Third"]
    assert {d["indicator"] for d in documents} == {"U"}
    assert documents[0]["seq"] < documents[1]["seq"] < documents[2]["seq"]
    later = admin_client.get(
        "/__admin/change-documents/A_BusinessPartner", params={"after": documents[1]["seq"]}
    ).json()
    assert [d["body"]["OrganizationBPName1"] for d in later] == ["Third"]


def test_seeded_records_have_none_and_reads_need_the_admin_token(
    client: TestClient, admin_client: TestClient
) -> None:
    assert admin_client.get("/__admin/change-documents/A_BusinessPartner").json() == []
    assert client.get("/__admin/change-documents/A_BusinessPartner").status_code == 401
