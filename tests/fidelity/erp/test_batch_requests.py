"""$batch bodies written out as SAP documents them, sent with plain `requests`.

pyodata has no batch, so these tests build the multipart/mixed body by hand (CRLF lines,
`Content-Transfer-Encoding: binary`, change sets with `Content-ID`), read the raw 202 answer,
and check the effect through pyodata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import requests

from causeway.sandbox.server import RunningServer
from tests.fidelity.erp.conftest import PASSWORD, USER, service_url

BATCH = "batch_36522ad7-fc75-4b56-8c71-56071383e77b"
CHANGESET = "changeset_77162fcd-b8da-41ac-a9f8-9357efbbd"
ROOT = "/sap/opu/odata/sap/API_BUSINESS_PARTNER"


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def retrieve(url: str) -> str:
    return (
        f"--{BATCH}\n"
        "Content-Type: application/http\n"
        "Content-Transfer-Encoding: binary\n"
        "\n"
        f"GET {url} HTTP/1.1\n"
        "Accept: application/json\n"
        "\n"
        "\n"
    )


def change_set(boundary: str, *requests_: tuple[str, str, dict[str, Any]]) -> str:
    text = f"--{BATCH}\nContent-Type: multipart/mixed; boundary={boundary}\n\n"
    for content_id, line, body in requests_:
        payload = json.dumps(body)
        text += (
            f"--{boundary}\n"
            "Content-Type: application/http\n"
            "Content-Transfer-Encoding: binary\n"
            f"Content-ID: {content_id}\n"
            "\n"
            f"{line} HTTP/1.1\n"
            "Content-Type: application/json\n"
            f"Content-Length: {len(payload)}\n"
            "\n"
            f"{payload}\n"
            "\n"
        )
    return text + f"--{boundary}--\n\n"


def post_batch(
    http: requests.Session, server: RunningServer, body: str
) -> tuple[requests.Response, list[str]]:
    response = http.post(
        f"{service_url(server, 'API_BUSINESS_PARTNER')}$batch",
        data=crlf(body + f"--{BATCH}--\n"),
        headers={"Content-Type": f"multipart/mixed; boundary={BATCH}"},
    )
    match = re.search(r"boundary=([^;\s]+)", response.headers.get("content-type", ""))
    if match is None:
        return response, []
    delimiter = f"--{match.group(1)}"
    parts = response.text.split(delimiter)[1:-1]
    return response, parts


def status_lines(part: str) -> list[str]:
    return re.findall(r"^HTTP/1\.1 (\d{3} [A-Za-z ]+?)\r?$", part, flags=re.MULTILINE)


def json_body(part: str) -> Any:
    return json.loads(part[part.index("{") : part.rindex("}") + 1])


def test_a_documented_batch_reads_and_merges(
    http: requests.Session, erp_server: RunningServer, odata: Callable[[str], Any]
) -> None:
    body = retrieve("A_BusinessPartner('10000001')?$format=json&$select=BusinessPartner")
    body += change_set(
        CHANGESET,
        ("1", "MERGE A_BusinessPartner('10000002')", {"OrganizationBPName1": "Batch Merge"}),
        ("2", "PATCH A_BusinessPartner('10000003')", {"OrganizationBPName1": "Batch Patch"}),
    )
    body += retrieve(f"{ROOT}/A_BusinessPartner?$top=2&$select=BusinessPartner")
    response, parts = post_batch(http, erp_server, body)

    assert response.status_code == 202
    assert len(parts) == 3
    read, changes, listed = parts
    assert status_lines(read) == ["200 OK"]
    assert "Content-Type: application/http" in read
    assert json_body(read)["d"]["BusinessPartner"] == "10000001"
    assert "multipart/mixed; boundary=changeset_" in changes
    assert status_lines(changes) == ["204 No Content", "204 No Content"]
    assert re.findall(r"^Content-ID: (\d+)\r?$", changes, flags=re.MULTILINE) == ["1", "2"]
    assert len(json_body(listed)["d"]["results"]) == 2

    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    assert partners.get_entity("10000002").execute().OrganizationBPName1 == "Batch Merge"
    assert partners.get_entity("10000003").execute().OrganizationBPName1 == "Batch Patch"


def test_a_failed_change_set_answers_one_error_and_keeps_nothing(
    http: requests.Session, erp_server: RunningServer, odata: Callable[[str], Any]
) -> None:
    partners = odata("API_BUSINESS_PARTNER").entity_sets.A_BusinessPartner
    before = partners.get_entity("10000004").execute().OrganizationBPName1
    body = change_set(
        "changeset_a",
        ("1", "PATCH A_BusinessPartner('10000004')", {"OrganizationBPName1": "Lost Change"}),
        ("2", "PATCH A_BusinessPartner('10000005')", {"OrganizationBPName1": "Y" * 41}),
    )
    body += change_set(
        "changeset_b",
        ("3", "PATCH A_BusinessPartner('10000006')", {"OrganizationBPName1": "Other Set"}),
    )
    response, parts = post_batch(http, erp_server, body)

    assert response.status_code == 202
    failed, other = parts
    assert "multipart/mixed" not in failed  # one application/http part for the whole set
    assert status_lines(failed) == ["400 Bad Request"]
    error = json_body(failed)["error"]
    assert error["code"] == "/IWBEP/CM_MGW_RT/004"
    assert "OrganizationBPName1" in error["message"]["value"]
    assert status_lines(other) == ["204 No Content"]
    assert partners.get_entity("10000004").execute().OrganizationBPName1 == before
    assert partners.get_entity("10000006").execute().OrganizationBPName1 == "Other Set"


def test_a_batch_without_the_csrf_token_is_refused(erp_server: RunningServer) -> None:
    response = requests.post(
        f"{service_url(erp_server, 'API_BUSINESS_PARTNER')}$batch",
        data=crlf(retrieve("A_BusinessPartner('10000001')") + f"--{BATCH}--\n"),
        headers={"Content-Type": f"multipart/mixed; boundary={BATCH}"},
        auth=(USER, PASSWORD),
        timeout=10,
    )
    assert response.status_code == 403
    assert response.headers["x-csrf-token"] == "Required"


def test_a_batch_missing_its_closing_delimiter_is_a_400_naming_it(
    http: requests.Session, erp_server: RunningServer
) -> None:
    response = http.post(
        f"{service_url(erp_server, 'API_BUSINESS_PARTNER')}$batch",
        data=crlf(retrieve("A_BusinessPartner('10000001')")),
        headers={"Content-Type": f"multipart/mixed; boundary={BATCH}"},
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]["value"]
    assert f"not closed by '--{BATCH}--'" in message
