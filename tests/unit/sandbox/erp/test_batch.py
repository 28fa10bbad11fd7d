"""$batch on the ERP sandbox: retrieves and change sets, atomicity, isolation, CSRF, refusals."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.connectors.s4hana.batch_wire import (
    BatchPart,
    Operation,
    PartAnswer,
    batch_body,
    read_answer,
)
from causeway.sandbox.erp.app import ErpSettings, create_app
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

BP = f"{ODATA}/API_BUSINESS_PARTNER"
SO = f"{ODATA}/API_SALES_ORDER_SRV"


def send(client: TestClient, parts: list[BatchPart], service: str = BP) -> list[list[PartAnswer]]:
    body, content_type = batch_body(parts)
    headers = {"Content-Type": content_type}
    response = client.post(f"{service}/$batch", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    return read_answer(response.headers["content-type"], response.content)


def name_of(client: TestClient, partner: str) -> str:
    body = client.get(f"{BP}/A_BusinessPartner('{partner}')").json()
    return str(body["d"]["OrganizationBPName1"])


def rename(partner: str, name: str) -> Operation:
    return Operation("PATCH", f"A_BusinessPartner('{partner}')", {"OrganizationBPName1": name})


def raw_batch(client: TestClient, body: str, boundary: str = "batch_1") -> tuple[int, str]:
    response = client.post(
        f"{BP}/$batch",
        content=body.replace("\n", "\r\n").encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    text = response.json()["error"]["message"]["value"] if response.status_code >= 400 else ""
    return response.status_code, text


def test_retrieves_and_change_sets_are_answered_part_by_part(client: TestClient) -> None:
    address = {"BusinessPartner": "10000001", "CityName": "Leipzig", "Country": "DE"}
    answers = send(
        client,
        [
            Operation("GET", "A_BusinessPartner('10000001')?$select=BusinessPartner"),
            (rename("10000002", "Batch Two AG"), Operation("POST", "A_BusinessPartnerAddress",
                                                           address)),
            Operation("GET", "A_BusinessPartner('99999999')"),
        ],
    )
    [read], [renamed, created], [missing] = answers
    assert read.status == 200
    assert read.json()["d"]["BusinessPartner"] == "10000001"
    assert (renamed.status, renamed.content_id) == (204, "1")
    assert (created.status, created.content_id) == (201, "2")
    assert created.json()["d"]["CityName"] == "Leipzig"
    assert "A_BusinessPartnerAddress(" in created.headers["location"]
    assert missing.status == 404
    assert missing.json()["error"]["code"] == "/IWBEP/CM_MGW_RT/021"
    assert name_of(client, "10000002") == "Batch Two AG"


def test_a_failing_change_set_leaves_the_others_applied(client: TestClient) -> None:
    answers = send(
        client,
        [(rename("10000003", "Kept One"),), (rename("10000004", "X" * 80),),
         (rename("10000005", "Kept Two"),)],
    )
    assert [len(answer) for answer in answers] == [1, 1, 1]
    assert [answer[0].status for answer in answers] == [204, 400, 204]
    error = answers[1][0].json()["error"]
    assert error["innererror"]["errordetails"][0]["target"] == "OrganizationBPName1"
    assert answers[1][0].content_id is None
    assert name_of(client, "10000003") == "Kept One"
    assert name_of(client, "10000005") == "Kept Two"
    assert name_of(client, "10000004") != "X" * 80


def test_a_change_set_is_rolled_back_whole(
    client: TestClient, admin_client: TestClient
) -> None:
    before = name_of(client, "10000006")
    documents = admin_client.get("/__admin/change-documents/A_BusinessPartner")
    [answer] = send(
        client,
        [(rename("10000006", "Never Stays"), Operation("POST", "A_BusinessPartnerAddress",
                                                        {"BusinessPartner": "10000006",
                                                         "NoSuchProperty": "x"}))],
    )
    assert len(answer) == 1
    assert answer[0].status == 400
    assert "NoSuchProperty" in answer[0].json()["error"]["message"]["value"]
    assert name_of(client, "10000006") == before
    after = admin_client.get("/__admin/change-documents/A_BusinessPartner")
    assert after.status_code == documents.status_code == 200
    assert after.json() == documents.json()  # no change document of the rolled-back PATCH


def test_content_id_reference_reaches_what_the_set_created(
    client: TestClient, universe: SeedUniverse
) -> None:
    order = {"SoldToParty": "10000004", "PurchaseOrderByCustomer": "PO-BATCH"}
    item = {"Material": universe.products[0].sku, "RequestedQuantity": "3"}
    [[created, added]] = send(
        client,
        [(Operation("POST", "A_SalesOrder", order), Operation("POST", "$1/to_Item", item))],
        service=SO,
    )
    assert (created.status, added.status) == (201, 201)
    number = created.json()["d"]["SalesOrder"]
    assert added.json()["d"]["SalesOrder"] == number


def test_without_csrf_token_the_batch_is_refused(client: TestClient) -> None:
    body, content_type = batch_body([Operation("GET", "A_BusinessPartner('10000001')")])
    response = client.post(
        f"{BP}/$batch",
        content=body,
        headers={"Content-Type": content_type, "x-csrf-token": ""},
    )
    assert response.status_code == 403
    assert response.headers["x-csrf-token"] == "Required"


def test_only_post_reaches_batch(client: TestClient) -> None:
    assert client.get(f"{BP}/$batch").status_code == 405


def test_malformed_batches_are_refused_naming_the_fault(client: TestClient) -> None:
    wrong_type = client.post(
        f"{BP}/$batch", content=b"x", headers={"Content-Type": "application/json"}
    )
    assert wrong_type.status_code == 400
    assert "multipart/mixed" in wrong_type.json()["error"]["message"]["value"]
    get = "Content-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
    get += "GET A_BusinessPartner('10000001') HTTP/1.1\n\n"
    cases = {
        "no part opened by '--batch_1'": "just text\n",
        "not closed by '--batch_1--'": f"--batch_1\n{get}",
        "POST outside a change set": (
            "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
            "POST A_BusinessPartner HTTP/1.1\nContent-Type: application/json\n\n{}\n"
            "--batch_1--\n"
        ),
        "GET is not allowed in a change set": (
            "--batch_1\nContent-Type: multipart/mixed; boundary=cs\n\n"
            f"--cs\n{get}--cs--\n--batch_1--\n"
        ),
        "is not a request line": (
            "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
            "FETCH everything please\n\n--batch_1--\n"
        ),
        "neither application/http nor multipart/mixed": (
            "--batch_1\nContent-Type: text/plain\n\nhello\n--batch_1--\n"
        ),
        "lies outside the service": (
            "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
            f"GET {SO}/A_SalesOrder HTTP/1.1\n\n--batch_1--\n"
        ),
        "Content-Transfer-Encoding must be binary": (
            "--batch_1\nContent-Type: application/http\nContent-Transfer-Encoding: base64\n\n"
            "R0VU\n--batch_1--\n"
        ),
        "the change set's Content-Type has no boundary": (
            "--batch_1\nContent-Type: multipart/mixed\n\n--cs--\n--batch_1--\n"
        ),
    }
    for expected, body in cases.items():
        status, message = raw_batch(client, body)
        assert status == 400, (expected, status)
        assert message.startswith("Malformed $batch request"), message
        assert expected in message, message


def test_a_batch_over_the_operation_limit_is_refused(universe: SeedUniverse) -> None:
    app = create_app(ErpSettings(clock_speed=0, batch_max_operations=3), universe)
    with TestClient(app) as client:
        client.auth = ("CAUSEWAY", "causeway")
        token = client.get(f"{BP}/", headers={"x-csrf-token": "Fetch"}).headers["x-csrf-token"]
        client.headers["x-csrf-token"] = token
        body, content_type = batch_body(
            [Operation("GET", f"A_BusinessPartner('1000000{n}')") for n in range(1, 5)]
        )
        response = client.post(
            f"{BP}/$batch", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400
        message = response.json()["error"]["message"]["value"]
        assert message == "The $batch holds 4 operations; at most 3 are accepted"
        assert name_of(client, "10000001")  # the three allowed still work one by one


def test_the_spike_arrest_counts_a_batch_as_one_call(app: FastAPI, client: TestClient) -> None:
    app.state.faults.replace(
        FaultPlan.model_validate({"rate_limit": {"requests_per_second": 0.01, "burst": 2}})
    )
    answers = send(client, [(rename(f"1000000{n}", f"Arrest {n}"),) for n in range(1, 9)])
    assert [answer[0].status for answer in answers] == [204] * 8
    assert client.get(f"{BP}/A_BusinessPartner('10000001')").status_code == 200
    refused = client.get(f"{BP}/A_BusinessPartner('10000001')")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]


def test_creates_do_not_read_the_whole_entity_set(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A create used to read every record of the set first: a batch of creates into a set of
    # thousands then cost thousands of reads per record.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole entity set was read")

    monkeypatch.setattr(app.state.erp.store, "scan", refuse)
    partner = {"BusinessPartnerCategory": "2", "BusinessPartnerGrouping": "BP02",
               "OrganizationBPName1": "No Scan AG"}
    [[created]] = send(client, [(Operation("POST", "A_BusinessPartner", partner),)])
    assert created.status == 201
    assert client.post(f"{BP}/A_BusinessPartner", json=partner).status_code == 201


def test_bare_line_feeds_are_read_like_crlf(client: TestClient) -> None:
    body = (
        "--b\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
        "GET A_BusinessPartner('10000001')?$select=BusinessPartner HTTP/1.1\n\n"
        "--b--\n"
    )
    headers = {"Content-Type": "multipart/mixed; boundary=b"}
    response = client.post(f"{BP}/$batch", content=body.encode(), headers=headers)
    assert response.status_code == 202
    [[read]] = read_answer(response.headers["content-type"], response.content)
    assert read.json()["d"]["BusinessPartner"] == "10000001"
