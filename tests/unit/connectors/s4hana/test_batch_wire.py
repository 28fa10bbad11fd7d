"""The $batch body the connector sends, and the answers it reads back (SAP's own shapes)."""

from __future__ import annotations

import email.parser
import json
from email.message import Message

import pytest

from causeway.connectors.s4hana.batch_wire import (
    BatchFormatError,
    Operation,
    batch_body,
    read_answer,
)

# A 202 as SAP Gateway sends it: a retrieve, a change set that succeeded, and one that failed.
SAP_ANSWER = (
    "--batch_A1\r\n"
    "Content-Type: application/http\r\n"
    "Content-Length: 120\r\n"
    "content-transfer-encoding: binary\r\n"
    "\r\n"
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "content-length: 43\r\n"
    "\r\n"
    '{"d":{"BusinessPartner":"17100001","X":"ä"}}\r\n'
    "--batch_A1\r\n"
    "Content-Type: multipart/mixed; boundary=changeset_B2\r\n"
    "Content-Length: 400\r\n"
    "\r\n"
    "--changeset_B2\r\n"
    "Content-Type: application/http\r\n"
    "Content-Length: 80\r\n"
    "content-transfer-encoding: binary\r\n"
    "Content-ID: 1\r\n"
    "\r\n"
    "HTTP/1.1 201 Created\r\n"
    "Content-Type: application/json\r\n"
    "location: https://host/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner('42')\r\n"
    "\r\n"
    '{"d":{"BusinessPartner":"42"}}\r\n'
    "--changeset_B2\r\n"
    "Content-Type: application/http\r\n"
    "content-transfer-encoding: binary\r\n"
    "\r\n"
    "HTTP/1.1 204 No Content\r\n"
    "Content-ID: 2\r\n"
    "\r\n"
    "\r\n"
    "--changeset_B2--\r\n"
    "\r\n"
    "--batch_A1\r\n"
    "Content-Type: application/http\r\n"
    "content-transfer-encoding: binary\r\n"
    "\r\n"
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    '{"error":{"code":"BP/001","message":{"lang":"en","value":"Property \'X\' invalid"}}}\r\n'
    "--batch_A1--\r\n"
).encode()


def parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    return [part for part in payload if isinstance(part, Message)]


def test_an_answer_in_sap_shape_is_read_part_by_part() -> None:
    [[read], [created, patched], [failed]] = read_answer(
        "multipart/mixed; boundary=batch_A1", SAP_ANSWER
    )
    assert read.status == 200
    assert read.json() == {"d": {"BusinessPartner": "17100001", "X": "ä"}}
    assert (created.status, created.content_id) == (201, "1")
    assert created.headers["location"].endswith("A_BusinessPartner('42')")
    assert (patched.status, patched.content_id, patched.body) == (204, "2", b"")
    assert failed.status == 400
    assert failed.json()["error"]["code"] == "BP/001"


def test_the_body_holds_retrieves_and_change_sets_with_content_ids() -> None:
    body, content_type = batch_body(
        [
            Operation("GET", "A_BusinessPartner('1')"),
            (
                Operation("POST", "A_BusinessPartner", {"OrganizationBPName1": "Öl AG"}),
                Operation("PATCH", "A_BusinessPartner('2')", {"SearchTerm1": "X"}),
            ),
        ]
    )
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    retrieve, change_set = parts(message)
    assert retrieve["Content-Type"] == "application/http"
    assert retrieve["Content-Transfer-Encoding"] == "binary"
    assert str(retrieve.get_payload()).startswith("GET A_BusinessPartner('1') HTTP/1.1\r\n")
    assert change_set.get_content_type() == "multipart/mixed"
    post, patch = parts(change_set)
    assert (post["Content-ID"], patch["Content-ID"]) == ("1", "2")
    request = post.get_payload(decode=True)
    assert isinstance(request, bytes)
    head, _, payload = request.partition(b"\r\n\r\n")
    assert head.startswith(b"POST A_BusinessPartner HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(payload) == {"OrganizationBPName1": "Öl AG"}
    assert f"Content-Length: {len(payload)}".encode() in head


def test_an_answer_that_is_not_multipart_is_refused() -> None:
    with pytest.raises(BatchFormatError):
        read_answer("application/json", b'{"d": {}}')
    with pytest.raises(BatchFormatError):
        read_answer(
            "multipart/mixed; boundary=b",
            b"--b\r\nContent-Type: application/http\r\n\r\nnot a status line\r\n--b--\r\n",
        )
