"""Idempotent writes: upsert by deterministic reference, updates, deletes, documents with lines."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from causeway.connectors.tryton import TrytonConnector, TrytonSettings

pytestmark = [pytest.mark.anyio, pytest.mark.services, pytest.mark.slow]


def upsert(object_name: str, field: str, value: str, **fields: Any) -> WriteRequest:
    """An upsert keyed by a deterministic reference, as the sync engine sends it."""
    return WriteRequest(
        object_name=object_name,
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field=field, external_value=value),
        fields=fields,
        idempotency_key=f"{object_name}:{value}",
    )


def by_id(
    object_name: str, operation: WriteOperation, record_id: str, **fields: Any
) -> WriteRequest:
    """A write to a record whose Tryton id is known."""
    return WriteRequest(
        object_name=object_name,
        operation=operation,
        key=WriteKey(system_id=record_id),
        fields=fields,
        idempotency_key=f"{object_name}:{record_id}:{operation}",
    )


def reference(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def count(connector: TrytonConnector, object_name: str, domain: list[Any]) -> int:
    found = await connector.client.execute(
        object_name, "search_count", domain, context={"active_test": False}
    )
    assert isinstance(found, int)
    return found


async def test_the_same_party_upsert_twice_leaves_one_record(connector: TrytonConnector) -> None:
    code = reference("CUST")
    request = upsert("party.party", "code", code, name="Acme Tools")

    # The second call stands for a retry after a timeout whose first attempt did commit.
    [first] = await connector.write([request])
    [second] = await connector.write([request])

    assert first.ok
    assert first.created
    assert second.ok
    assert not second.created
    assert second.system_id == first.system_id
    assert await count(connector, "party.party", [["code", "=", code]]) == 1


async def test_a_batch_repeating_a_key_creates_then_updates(connector: TrytonConnector) -> None:
    code = reference("CUST")
    results = await connector.write(
        [
            upsert("party.party", "code", code, name="First name"),
            upsert("party.party", "code", reference("CUST"), name="Other party"),
            upsert("party.party", "code", code, name="Second name"),
        ]
    )

    assert [result.ok for result in results] == [True, True, True]
    assert [result.created for result in results] == [True, True, False]
    assert results[2].system_id == results[0].system_id
    [party] = await connector.read("party.party", [str(results[0].system_id)])
    assert party.fields["name"] == "Second name"


async def test_update_by_id_changes_the_record_and_a_missing_id_is_invalid(
    connector: TrytonConnector,
) -> None:
    [created] = await connector.write(
        [upsert("party.party", "code", reference("CUST"), name="Before")]
    )
    assert created.system_id is not None

    updated, missing = await connector.write(
        [
            by_id("party.party", WriteOperation.UPDATE, created.system_id, name="After"),
            by_id("party.party", WriteOperation.UPDATE, "987654321", name="Nobody"),
        ]
    )

    assert updated.ok
    assert updated.system_id == created.system_id
    assert not updated.created
    [party] = await connector.read("party.party", [created.system_id, "987654321"])
    assert party.fields["name"] == "After"
    assert missing.error is not None
    assert missing.error.error_class is ErrorClass.INVALID
    assert missing.error.record_id == "987654321"


async def test_delete_is_idempotent(connector: TrytonConnector) -> None:
    [created] = await connector.write(
        [upsert("party.party", "code", reference("CUST"), name="Short lived")]
    )
    assert created.system_id is not None
    delete = by_id("party.party", WriteOperation.DELETE, created.system_id)

    [first] = await connector.write([delete])
    [again] = await connector.write([delete])

    assert first.ok
    assert first.system_id == created.system_id
    assert again.ok
    assert again.system_id is None
    assert await connector.read("party.party", [created.system_id]) == []


async def test_party_with_address_and_contact_mechanisms_reads_back_nested(
    connector: TrytonConnector,
) -> None:
    code = reference("CUST")
    [created] = await connector.write(
        [
            upsert(
                "party.party",
                "code",
                code,
                name="Nested Ltd",
                addresses=[["create", [{"street_unstructured": "1 Quay", "city": "Bristol"}]]],
                contact_mechanisms=[["create", [{"type": "email", "value": "ap@nested.test"}]]],
            )
        ]
    )
    assert created.ok, created.error

    [party] = await connector.read("party.party", [str(created.system_id)])

    assert party.fields["code"] == code
    assert [a["city"] for a in party.fields["addresses."]] == ["Bristol"]
    assert [(c["type"], c["value"]) for c in party.fields["contact_mechanisms."]] == [
        ("email", "ap@nested.test")
    ]
    assert party.modified_at is not None


async def test_product_and_sale_with_lines_are_created_once(connector: TrytonConnector) -> None:
    [unit] = await connector.client.execute(
        "product.uom", "search", [["symbol", "=", "u"]], 0, 1, None
    )
    product_code = reference("P")
    [template] = await connector.write(
        [
            upsert(
                "product.template",
                "code",
                product_code,
                name="Widget",
                type="goods",
                salable=True,
                default_uom=unit,
                sale_uom=unit,
                list_price=Decimal("12.50"),
                products=[["create", [{}]]],
            )
        ]
    )
    assert template.ok, template.error
    [template_record] = await connector.read("product.template", [str(template.system_id)])
    [product] = template_record.fields["products."]
    [customer] = await connector.write(
        [upsert("party.party", "code", reference("CUST"), name="Buyer")]
    )
    sale_reference = reference("SO")
    sale = upsert(
        "sale.sale",
        "reference",
        sale_reference,
        party=int(str(customer.system_id)),
        lines=[
            [
                "create",
                [
                    {
                        "product": product["id"],
                        "quantity": 2.0,
                        "unit": unit,
                        "unit_price": Decimal("12.50"),
                    },
                    {"type": "comment", "description": "Deliver before noon"},
                ],
            ]
        ],
    )

    [first] = await connector.write([sale])
    [retry] = await connector.write([sale])

    assert first.ok, first.error
    assert first.created
    assert retry.ok
    assert not retry.created
    assert retry.system_id == first.system_id
    assert await count(connector, "sale.sale", [["reference", "=", sale_reference]]) == 1
    [record] = await connector.read("sale.sale", [str(first.system_id)])
    lines = sorted(record.fields["lines."], key=lambda line: line["id"])
    assert [line["type"] for line in lines] == ["line", "comment"]
    assert lines[0]["unit_price"] == Decimal("12.50")
    assert lines[0]["product"] == product["id"]
    assert record.fields["state"] == "draft"


class LostAnswer(httpx.AsyncBaseTransport):
    """Delivers every request but loses the answer to the first create: a timeout after send."""

    def __init__(self) -> None:
        self._line = httpx.AsyncHTTPTransport()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._line.handle_async_request(request)
        if not self.lost and b".create" in request.content:
            await response.aread()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self._line.aclose()


async def test_a_retry_after_a_lost_answer_updates_instead_of_duplicating(
    settings: TrytonSettings,
) -> None:
    transport = LostAnswer()
    connector = TrytonConnector(settings, transport=transport)
    code = reference("CUST")
    request = upsert("party.party", "code", code, name="Committed before the timeout")
    try:
        [lost] = await connector.write([request])
        [retried] = await connector.write([request])
        found = await count(connector, "party.party", [["code", "=", code]])
    finally:
        await connector.aclose()

    assert transport.lost == 1
    assert lost.error is not None
    assert lost.error.error_class is ErrorClass.RETRYABLE
    assert lost.error.ambiguous
    assert retried.ok
    assert not retried.created
    assert found == 1
