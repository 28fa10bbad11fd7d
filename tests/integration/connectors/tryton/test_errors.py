"""Failures from a real trytond, classified and pinned to object, record and field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass, InvalidRecordError
from causeway.connectors.tryton import TrytonConnector

pytestmark = [pytest.mark.anyio, pytest.mark.services, pytest.mark.slow]


def upsert(object_name: str, field: str, value: str, **fields: Any) -> WriteRequest:
    return WriteRequest(
        object_name=object_name,
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field=field, external_value=value),
        fields=fields,
        idempotency_key=value,
    )


async def test_an_unknown_field_is_invalid_and_named(connector: TrytonConnector) -> None:
    code = f"BAD-{uuid.uuid4().hex[:8]}"
    [result] = await connector.write([upsert("party.party", "code", code, bogus_field=1)])

    assert isinstance(result.error, InvalidRecordError)
    assert result.error.field == "bogus_field"
    assert result.error.object_name == "party.party"
    assert result.error.record_id == f"code={code}"
    assert await connector.client.execute("party.party", "search_count", [["code", "=", code]]) == 0


async def test_an_unknown_field_in_a_raw_call_is_invalid_and_named(
    connector: TrytonConnector,
) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        await connector.client.execute(
            "party.party", "search_read", [["nonexistent", "=", 1]], 0, 1, None, ["name"]
        )
    assert raised.value.field == "nonexistent"


async def test_a_rejected_record_in_a_batch_is_pinpointed_and_the_rest_written(
    connector: TrytonConnector,
) -> None:
    tag = uuid.uuid4().hex[:8]
    party = int(str((await connector.write([upsert("party.party", "code", tag)]))[0].system_id))

    results = await connector.write(
        [
            upsert("sale.sale", "reference", f"{tag}-1", party=party),
            upsert("sale.sale", "reference", f"{tag}-2", description="no customer"),
            upsert("sale.sale", "reference", f"{tag}-3", party=party),
        ]
    )

    assert [result.ok for result in results] == [True, False, True]
    error = results[1].error
    assert error is not None
    assert error.error_class is ErrorClass.INVALID
    assert error.code == "UserError"
    assert error.field == "party"  # from the label "Party" in Tryton's message
    assert error.record_id == f"reference={tag}-2"
    assert "Party" in error.message


async def test_a_read_only_field_is_refused_before_sending(connector: TrytonConnector) -> None:
    [result] = await connector.write(
        [upsert("sale.sale", "reference", uuid.uuid4().hex, state="done")]
    )

    assert isinstance(result.error, InvalidRecordError)
    assert result.error.field == "state"


async def test_a_duplicate_reference_is_a_conflict(connector: TrytonConnector) -> None:
    code = f"DUP-{uuid.uuid4().hex[:8]}"
    [party] = await connector.write([upsert("party.party", "code", code)])
    party_id = int(str(party.system_id))
    # Two sales made in Tryton by hand with the same reference: which one is ours?
    await connector.client.execute(
        "sale.sale",
        "create",
        [{"reference": code, "party": party_id}, {"reference": code, "party": party_id}],
        writes=True,
    )

    [result] = await connector.write([upsert("sale.sale", "reference", code, description="x")])

    assert result.error is not None
    assert result.error.error_class is ErrorClass.CONFLICT
    assert result.error.field == "reference"


async def test_describe_reads_fields_get(connector: TrytonConnector) -> None:
    party = await connector.describe("party.party")
    sale = await connector.describe("sale.sale")

    assert party.fields["name"] == "char"
    assert party.fields["addresses"] == "one2many"
    assert party.fields["write_date"] == "timestamp"
    assert party.external_id_fields == ("code",)
    assert party.key_fields == ("id",)
    assert sale.external_id_fields == ("reference",)
    assert "party" in sale.required_fields
    assert sale.fields["lines"] == "one2many"


async def test_a_computed_code_cannot_be_a_reference(connector: TrytonConnector) -> None:
    variant = await connector.describe("product.product")
    [result] = await connector.write([upsert("product.product", "code", "SKU-1")])

    assert variant.external_id_fields == ()
    assert isinstance(result.error, InvalidRecordError)
    assert result.error.field == "code"
