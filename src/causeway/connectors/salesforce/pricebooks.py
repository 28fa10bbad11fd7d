"""Price book entries as Salesforce needs them written: in their price book, after a standard price.

An ERP price list becomes a custom price book keyed by `ERP_Price_List__c`; each price is a
PricebookEntry naming its list in the same field. Salesforce sets an entry's price book,
product and currency on insert only, and refuses a custom price for a product that has no
standard price (STANDARD_PRICE_NOT_DEFINED). So before entries are inserted, the price book is
found or created (named after the price list) and a standard price in the entry's currency is
created where the product has none, at the entry's price; it is not maintained afterwards (the
custom price books carry the ERP's prices). Updates leave the insert-only fields out.

Causeway reads only the entries it keeps (`Causeway_Id__c` set): standard prices and prices
people keep by hand are theirs, not changes to sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from causeway.connectors.contract import WriteOperation, WriteRequest
from causeway.connectors.errors import InvalidRecordError
from causeway.connectors.salesforce.client import COLLECTION_LIMIT, SalesforceClient
from causeway.connectors.salesforce.errors import SYSTEM
from causeway.connectors.salesforce.soql import Condition, Query, chunks, compare, is_in

PRICEBOOK_ENTRY = "PricebookEntry"
PRICEBOOK = "Pricebook2"
PRICE_LIST_FIELD = "ERP_Price_List__c"
"""On Pricebook2 the external id of the price book; on PricebookEntry the list it belongs to."""
KEEP_FIELD = "Causeway_Id__c"
INSERT_ONLY = ("Pricebook2Id", "Product2Id", "CurrencyIsoCode")

_SCOPES: dict[str, Condition] = {PRICEBOOK_ENTRY: compare(KEEP_FIELD, "!=", None)}


def scope(object_name: str) -> Condition | None:
    """The condition that narrows reads of an object to the records Causeway keeps, if any."""
    return _SCOPES.get(object_name)


class PriceBooks:
    """Prepares PricebookEntry writes: price book, standard price, insert-only fields."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self._standard: str | None = None

    async def prepare(
        self, operation: WriteOperation, batch: Sequence[WriteRequest]
    ) -> list[dict[str, Any]]:
        """The fields to send for each request of one collection call, in order."""
        payloads = [dict(request.fields) for request in batch]
        if operation is WriteOperation.UPDATE:
            return [_without_insert_only(fields) for fields in payloads]
        existing = await self._existing(batch)
        inserts = [
            fields
            for request, fields in zip(batch, payloads, strict=True)
            if request.key.external_value not in existing
        ]
        if inserts:
            books = await self._price_books({str(f.get(PRICE_LIST_FIELD) or "") for f in inserts})
            for fields in inserts:
                book = books.get(str(fields.get(PRICE_LIST_FIELD) or ""))
                if book is not None:
                    fields["Pricebook2Id"] = book
            await self._standard_prices(inserts)
        return [
            fields if request.key.external_value not in existing else _without_insert_only(fields)
            for request, fields in zip(batch, payloads, strict=True)
        ]

    async def _select(self, query: Query) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.client.query_pages(query.render(), object_name=query.object_name):
            rows.extend(page)
        return rows

    async def _existing(self, batch: Sequence[WriteRequest]) -> set[str]:
        """References of the batch's entries that exist already (an upsert retried, or kept)."""
        references = sorted({str(r.key.external_value) for r in batch if r.key.external_value})
        found: set[str] = set()
        for chunk in chunks(references):
            query = Query(PRICEBOOK_ENTRY, ("Id", KEEP_FIELD), where=is_in(KEEP_FIELD, chunk))
            found.update(str(row[KEEP_FIELD]) for row in await self._select(query))
        return found

    async def _price_books(self, lists: set[str]) -> dict[str, str]:
        """Price book id per price list, creating the books that are missing."""
        wanted = sorted(name for name in lists if name)
        if not wanted:
            return {}
        query = Query(PRICEBOOK, ("Id", PRICE_LIST_FIELD), where=is_in(PRICE_LIST_FIELD, wanted))
        books = {str(row[PRICE_LIST_FIELD]): str(row["Id"]) for row in await self._select(query)}
        missing = [name for name in wanted if name not in books]
        if missing:
            records = [
                {
                    "attributes": {"type": PRICEBOOK},
                    PRICE_LIST_FIELD: name,
                    "Name": name,
                    "IsActive": True,
                    "Description": f"Prices of ERP price list {name}",
                }
                for name in missing
            ]
            path = f"{self.client.data_path}/composite/sobjects/{PRICEBOOK}/{PRICE_LIST_FIELD}"
            outcomes = await self._collection("PATCH", path, PRICEBOOK, records)
            for name, outcome in zip(missing, outcomes, strict=True):
                books[name] = str(outcome["id"])
        return books

    async def standard_pricebook(self) -> str:
        """The id of the org's standard price book (every org has exactly one)."""
        if self._standard is None:
            query = Query(PRICEBOOK, ("Id",), where=compare("IsStandard", "=", True))
            rows = await self._select(query)
            if not rows:
                raise InvalidRecordError(
                    "the org has no standard price book", system=SYSTEM, object_name=PRICEBOOK
                )
            self._standard = str(rows[0]["Id"])
        return self._standard

    async def _standard_prices(self, inserts: list[dict[str, Any]]) -> None:
        """A standard price for every (product, currency) about to get a custom price."""
        wanted: dict[tuple[str, str], Any] = {}
        for fields in inserts:
            product, currency = fields.get("Product2Id"), fields.get("CurrencyIsoCode")
            if product and currency:
                wanted.setdefault((str(product), str(currency)), fields.get("UnitPrice"))
        if not wanted:
            return
        standard = await self.standard_pricebook()
        products = sorted({product for product, _ in wanted})
        have: set[tuple[str, str]] = set()
        for chunk in chunks(products):
            query = Query(
                PRICEBOOK_ENTRY,
                ("Product2Id", "CurrencyIsoCode"),
                where=compare("Pricebook2Id", "=", standard) & is_in("Product2Id", chunk),
            )
            have.update(
                (str(row["Product2Id"]), str(row["CurrencyIsoCode"]))
                for row in await self._select(query)
            )
        records = [
            {
                "attributes": {"type": PRICEBOOK_ENTRY},
                "Pricebook2Id": standard,
                "Product2Id": product,
                "CurrencyIsoCode": currency,
                "UnitPrice": price,
                "IsActive": True,
            }
            for (product, currency), price in sorted(wanted.items())
            if (product, currency) not in have
        ]
        if records:
            path = f"{self.client.data_path}/composite/sobjects"
            await self._collection("POST", path, PRICEBOOK_ENTRY, records)

    async def _collection(
        self, method: str, path: str, object_name: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """One sObject Collections call; a record Salesforce refuses fails the whole batch."""
        outcomes: list[dict[str, Any]] = []
        for chunk in chunks(records, COLLECTION_LIMIT):
            response = await self.client.request(
                method,
                path,
                json={"allOrNone": False, "records": chunk},
                object_name=object_name,
            )
            outcomes.extend(response.json())
        for outcome in outcomes:
            if not outcome.get("success"):
                errors = outcome.get("errors") or [{}]
                raise InvalidRecordError(
                    f"{object_name} needed for a price book entry was refused: "
                    f"{errors[0].get('statusCode', '')} {errors[0].get('message', '')}".strip(),
                    system=SYSTEM,
                    object_name=object_name,
                )
        return outcomes


def _without_insert_only(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if name not in INSERT_ONLY}
