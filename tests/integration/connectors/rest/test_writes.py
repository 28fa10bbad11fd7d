"""Writes: idempotent upserts after a lost response, native and batch upserts, deletes."""

from __future__ import annotations

import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from tests.integration.connectors.rest.app import Helpdesk
from tests.integration.connectors.rest.conftest import Build

pytestmark = pytest.mark.anyio

NATIVE = '      upsert: {path: "/tickets/by-ref/{external_value}"}\n'
BATCH = (
    "      batch_upsert:\n"
    "        path: /tickets/bulk\n"
    "        body_wrapper: tickets\n"
    "        results_selector: results\n"
    "        created_path: created\n"
    "        max_size: 2\n"
)


def upsert(ref: str, subject: str) -> WriteRequest:
    return WriteRequest(
        object_name="tickets",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="external_ref", external_value=ref),
        fields={"subject": subject},
        idempotency_key=f"{ref}-{subject}",
    )


@pytest.mark.parametrize("extra", ["", NATIVE], ids=["lookup", "native"])
async def test_retry_after_a_lost_response_creates_no_duplicate(
    helpdesk: Helpdesk, build: Build, extra: str
) -> None:
    connector = await build(extra=extra)
    helpdesk.lose_next_write_s = 1.0  # past the 0.5 s client timeout
    [lost] = await connector.write([upsert("ERP-1", "Broken pump")])
    assert lost.error is not None
    assert lost.error.error_class is ErrorClass.RETRYABLE
    assert lost.error.ambiguous
    assert len(helpdesk.tickets) == 1  # the server did create it

    [retried] = await connector.write([upsert("ERP-1", "Broken pump")])
    assert retried.ok
    assert not retried.created
    assert retried.system_id == "1"
    assert len(helpdesk.tickets) == 1


async def test_lookup_upsert_creates_then_updates(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build()
    [created] = await connector.write([upsert("ERP-7", "First")])
    [updated] = await connector.write([upsert("ERP-7", "Second")])
    assert created.created
    assert (created.system_id, updated.system_id) == ("1", "1")
    assert not updated.created
    assert helpdesk.tickets[1]["subject"] == "Second"
    assert helpdesk.tickets[1]["external_ref"] == "ERP-7"


async def test_each_record_gets_its_own_result(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build()
    helpdesk.add(helpdesk.now, subject="exists")
    requests = [
        upsert("A", "fine"),
        upsert("B", ""),
        WriteRequest(
            "tickets", WriteOperation.UPDATE, WriteKey(system_id="42"), {"subject": "x"}, "u42"
        ),
        WriteRequest("tickets", WriteOperation.DELETE, WriteKey(system_id="1"), {}, "d1"),
        WriteRequest("tickets", WriteOperation.DELETE, WriteKey(system_id="1"), {}, "d1-again"),
        WriteRequest("invoices", WriteOperation.DELETE, WriteKey(system_id="1"), {}, "i1"),
    ]
    results = await connector.write(requests)
    assert [result.ok for result in results] == [True, False, False, True, True, False]
    invalid = results[1].error
    assert invalid is not None
    assert invalid.error_class is ErrorClass.INVALID
    assert "subject must not be empty" in str(invalid)
    assert "tickets external_ref=B" in str(invalid)
    assert results[2].error is not None
    assert results[2].error.error_class is ErrorClass.INVALID
    assert results[5].error is not None
    assert results[5].error.error_class is ErrorClass.FATAL
    assert 1 not in helpdesk.tickets


async def test_batch_upsert_reports_per_record(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build(extra=BATCH)
    first = await connector.write([upsert("A", "a"), upsert("B", "b"), upsert("C", "")])
    assert [(r.system_id, r.created) for r in first[:2]] == [("1", True), ("2", True)]
    assert first[2].error is not None
    assert first[2].error.field == "subject"
    again = await connector.write([upsert("A", "a2"), upsert("A", "a3")])
    assert [(r.system_id, r.created) for r in again] == [("1", False), ("1", False)]
    assert helpdesk.tickets[1]["subject"] == "a3"
    assert len(helpdesk.tickets) == 2


async def test_an_id_cannot_reach_another_endpoint(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build()
    helpdesk.add(helpdesk.now, subject="keep me")
    request = WriteRequest(
        "tickets", WriteOperation.DELETE, WriteKey(system_id="../tickets/1"), {}, "evil"
    )
    [result] = await connector.write([request])
    assert result.ok  # treated as an id no record has: nothing to delete
    assert 1 in helpdesk.tickets
