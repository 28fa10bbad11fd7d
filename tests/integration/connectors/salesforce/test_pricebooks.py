"""Price book entries through the Salesforce connector: book, standard price, retries, scope."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass
from causeway.connectors.salesforce.connector import SalesforceConnector
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio


async def _rows(connector: SalesforceConnector, soql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for page in connector.client.query_pages(soql):
        rows.extend(page)
    return rows


async def _new_product(connector: SalesforceConnector) -> str:
    code = f"PB-{uuid.uuid4().hex[:8]}"
    [result] = await connector.write([
        WriteRequest(
            "Product2",
            WriteOperation.UPSERT,
            WriteKey(external_field="ERP_Material__c", external_value=code),
            {"Name": f"Valve {code}", "ProductCode": code, "IsActive": True},
            f"product:{code}",
        )
    ])
    assert result.ok, result.error
    assert result.system_id is not None
    return result.system_id


def _entry(reference: str, product: str, price: float, price_list: str) -> WriteRequest:
    return WriteRequest(
        "PricebookEntry",
        WriteOperation.UPSERT,
        WriteKey(external_field="Causeway_Id__c", external_value=reference),
        {
            "Product2Id": product,
            "ERP_Price_List__c": price_list,
            "UnitPrice": price,
            "CurrencyIsoCode": "EUR",
            "IsActive": True,
        },
        f"{reference}:{price}",
    )


async def test_first_price_makes_book_and_standard_price_and_a_retry_updates(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.salesforce(change_source="polling")
    price_list = f"2010/10 EUR {uuid.uuid4().hex[:4]}"
    try:
        product = await _new_product(connector)
        reference = str(uuid.uuid4())
        [created] = await connector.write([_entry(reference, product, 120.0, price_list)])
        # The answer was lost, say: the retry of the same upsert finds the entry.
        [again] = await connector.write([_entry(reference, product, 125.0, price_list)])
        [updated] = await connector.write([
            WriteRequest(
                "PricebookEntry",
                WriteOperation.UPSERT,
                WriteKey(system_id=str(created.system_id)),
                {"Product2Id": product, "CurrencyIsoCode": "EUR", "UnitPrice": 130.0},
                "update",
            )
        ])
        assert created.ok, created.error
        assert again.ok, again.error
        assert updated.ok, updated.error
        assert again.system_id == created.system_id
        [book] = await _rows(
            connector,
            f"SELECT Id, Name, IsStandard FROM Pricebook2 WHERE ERP_Price_List__c = '{price_list}'",
        )
        entries = await _rows(
            connector,
            "SELECT Pricebook2Id, UnitPrice, CurrencyIsoCode FROM PricebookEntry "
            f"WHERE Product2Id = '{product}'",
        )
        standard = await connector.price_books.standard_pricebook()
        by_book = {row["Pricebook2Id"]: row for row in entries}
        assert (book["Name"], book["IsStandard"]) == (price_list, False)
        assert set(by_book) == {book["Id"], standard}
        assert by_book[book["Id"]]["UnitPrice"] == 130.0
        assert by_book[standard]["UnitPrice"] == 120.0  # set once, at the first list price
    finally:
        await connector.aclose()


async def test_an_entry_without_price_list_fails_alone_with_salesforce_s_error(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.salesforce(change_source="polling")
    try:
        product = await _new_product(connector)
        good = _entry(str(uuid.uuid4()), product, 10.0, f"1010/10 EUR {uuid.uuid4().hex[:4]}")
        orphan = _entry(str(uuid.uuid4()), product, 10.0, "")
        results = await connector.write([good, orphan])
        assert results[0].ok, results[0].error
        assert results[1].error is not None
        assert results[1].error.error_class is ErrorClass.INVALID
    finally:
        await connector.aclose()


async def test_only_entries_causeway_keeps_are_read(sandbox: Sandboxes) -> None:
    connector = sandbox.salesforce(change_source="polling")
    try:
        product = await _new_product(connector)
        [kept] = await connector.write(
            [_entry(str(uuid.uuid4()), product, 10.0, f"1010/10 EUR {uuid.uuid4().hex[:4]}")]
        )
        cursor: str | None = None
        seen: list[str] = []
        while True:
            page = await connector.changes("PricebookEntry", cursor, 500)
            seen += [record.id for record in page.records]
            cursor = page.cursor
            if not page.more:
                break
        # The seeded standard prices, and the one made for this product, are not read.
        standard_prices = await _rows(
            connector,
            "SELECT Id FROM PricebookEntry WHERE Causeway_Id__c = null",
        )
        assert kept.system_id in seen
        assert standard_prices
        assert not {row["Id"] for row in standard_prices} & set(seen)
        assert await connector.read("PricebookEntry", [row["Id"] for row in standard_prices]) == []
    finally:
        await connector.aclose()
