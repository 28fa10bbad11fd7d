"""List prices from the ERP's PPR0 conditions become Salesforce price book entries, one way."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.sync.config import SyncConfig, build_routes, default_sync_config
from causeway.sync.initial_load import link_by_key
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.xref import Xref
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

PRICING = "API_SLSPRICINGCONDITIONRECORD_SRV"
PRICE_LIST = "1010/10 USD"


async def _soql(salesforce: SalesforceConnector, soql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for page in salesforce.client.query_pages(soql):
        rows.extend(page)
    return rows


async def _entries(salesforce: SalesforceConnector) -> dict[str, dict[str, Any]]:
    """Causeway's price book entries by product code."""
    rows = await _soql(
        salesforce,
        "SELECT Id, Pricebook2Id, Product2Id, ProductCode, UnitPrice, CurrencyIsoCode, "
        "IsActive, ERP_Price_List__c FROM PricebookEntry WHERE Causeway_Id__c != null",
    )
    return {str(row["ProductCode"]): row for row in rows}


async def _condition(s4: S4Connector, material: str) -> dict[str, Any]:
    """The material's PPR0 list price record in sales area 1010/10."""
    params = {
        "$filter": f"Material eq '{material}' and ConditionType eq 'PPR0'",
        "$expand": "to_SlsPrcgConditionRecord",
    }
    async for page in s4.client.pages(PRICING, "A_SlsPrcgCndnRecdValidity", params):
        for row in page:
            if not row.get("Customer"):
                record: dict[str, Any] = row["to_SlsPrcgConditionRecord"]
                return record
    raise AssertionError(f"{material} has no list price")


async def _change_condition(s4: S4Connector, number: str, fields: dict[str, Any]) -> None:
    await s4.client.request(
        "PATCH", PRICING, f"A_SlsPrcgConditionRecord('{number}')", json=fields
    )


async def _writes(pipeline: SyncPipeline) -> int:
    stats = await asyncio.to_thread(pipeline.backbone.stats)
    return sum(s.done + s.parked for s in stats if s.topic.startswith("sync.commands."))


async def test_list_prices_reach_the_crm_and_follow_the_erp(
    database: Engine, tmp_path: Path
) -> None:
    catalog = shipped_mappings()
    shipped = default_sync_config()
    config = SyncConfig(
        entities={name: shipped.entities[name] for name in ("product", "price_list_entry")}
    )
    seed = SeedConfig(accounts=2, erp_customers=2, products=3, contacts_per_account=0, seed=3)
    with sandboxes(tmp_path, seed) as boxes:
        await asyncio.sleep(1.1)
        salesforce, s4 = boxes.salesforce(), boxes.s4()
        try:
            await link_by_key(
                database,
                "product",
                (salesforce, catalog.get("salesforce", "Product2", "product")),
                (s4, catalog.get("s4hana", "A_Product", "product")),
                "sku",
            )
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=180)
            assert pipeline.parked() == 0

            # Every list price is an entry of the price book of its list, on its product.
            [book] = await _soql(
                salesforce,
                "SELECT Id, Name, IsActive, IsStandard FROM Pricebook2 "
                f"WHERE ERP_Price_List__c = '{PRICE_LIST}'",
            )
            assert book["Name"] == PRICE_LIST
            assert book["IsActive"] is True
            assert book["IsStandard"] is False
            entries = await _entries(salesforce)
            assert sorted(entries) == sorted(p.sku for p in boxes.universe.products)
            with database.connect() as connection:
                xref = Xref(connection)
                for goods in boxes.universe.products:
                    entry = entries[goods.sku]
                    product_id = xref.resolve("product", "s4hana", goods.sku, "salesforce")
                    assert entry["Product2Id"] == product_id
                    assert entry["Pricebook2Id"] == book["Id"]
                    assert entry["ERP_Price_List__c"] == PRICE_LIST
                    assert Decimal(str(entry["UnitPrice"])) == goods.list_price
                    assert entry["CurrencyIsoCode"] == goods.currency
                    assert entry["IsActive"] is True

            # Read again, the same prices write nothing: the echo ends here.
            writes = await _writes(pipeline)
            await pipeline.run_until_quiet(timeout_s=120)
            assert await _writes(pipeline) == writes

            # A price change in the ERP updates the entry; a deleted or expired condition
            # deactivates it.
            first, second, third = (goods.sku for goods in boxes.universe.products)
            changed = await _condition(s4, first)
            await _change_condition(s4, changed["ConditionRecord"], {"ConditionRateValue": "77.50"})
            deleted = await _condition(s4, second)
            await _change_condition(s4, deleted["ConditionRecord"], {"ConditionIsDeleted": True})
            expired = await _condition(s4, third)
            await _change_condition(
                s4, expired["ConditionRecord"], {"ConditionValidityEndDate": "2024-06-30T00:00:00"}
            )
            await pipeline.run_until_quiet(timeout_s=120)
            entries = await _entries(salesforce)
            assert Decimal(str(entries[first]["UnitPrice"])) == Decimal("77.50")
            assert entries[first]["IsActive"] is True
            assert entries[second]["IsActive"] is False
            assert entries[third]["IsActive"] is False
            assert pipeline.parked() == 0

            # An edit of the price in the CRM is set back to the ERP's price.
            await salesforce.client.request(
                "PATCH",
                f"{salesforce.client.data_path}/sobjects/PricebookEntry/{entries[first]['Id']}",
                json={"UnitPrice": 1.0},
            )
            await pipeline.run_until_quiet(timeout_s=120)
            entries = await _entries(salesforce)
            assert Decimal(str(entries[first]["UnitPrice"])) == Decimal("77.50")
        finally:
            await salesforce.aclose()
            await s4.aclose()


async def test_a_price_waits_for_its_product_then_lands(database: Engine, tmp_path: Path) -> None:
    catalog = shipped_mappings()
    shipped = default_sync_config()
    config = SyncConfig(
        entities={name: shipped.entities[name] for name in ("product", "price_list_entry")}
    )
    seed = SeedConfig(accounts=0, erp_customers=1, products=0, contacts_per_account=0)
    with sandboxes(tmp_path, seed) as boxes:
        salesforce, s4 = boxes.salesforce(), boxes.s4()
        try:
            await s4.client.request("POST", "API_PRODUCT_SRV", "A_Product", json={
                "Product": "MAT-NEW-1",
                "ProductType": "FERT",
                "BaseUnit": "EA",
                "to_Description": [{"Language": "EN", "ProductDescription": "Gate valve 80"}],
            })
            await s4.client.request("POST", PRICING, "A_SlsPrcgConditionRecord", json={
                "ConditionType": "PPR0",
                "ConditionRateValue": "412.00",
                "ConditionRateValueUnit": "EUR",
                "to_SlsPrcgCndnRecdValidity": [{
                    "SalesOrganization": "1010",
                    "DistributionChannel": "10",
                    "Material": "MAT-NEW-1",
                }],
            })
            # A customer-specific price is not a list price: it never reaches a price book.
            await s4.client.request("POST", PRICING, "A_SlsPrcgConditionRecord", json={
                "ConditionType": "PPR0",
                "ConditionRateValue": "300.00",
                "ConditionRateValueUnit": "EUR",
                "to_SlsPrcgCndnRecdValidity": [{
                    "SalesOrganization": "1010",
                    "DistributionChannel": "10",
                    "Customer": "10000001",
                    "Material": "MAT-NEW-1",
                }],
            })
            await asyncio.sleep(1.1)
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            # The price is read before its product: it waits (a retry), nothing is written.
            prices = next(t for t in pipeline.targets if t.object_name == "ListPrice")
            assert await pipeline.poller.drain(prices) == 1
            for worker in pipeline.workers:
                await worker.run_once()
            assert await asyncio.to_thread(pipeline.pending) == 1
            assert await _entries(salesforce) == {}

            await pipeline.run_until_quiet(timeout_s=120)
            assert pipeline.parked() == 0
            entry = (await _entries(salesforce))["MAT-NEW-1"]
            assert Decimal(str(entry["UnitPrice"])) == Decimal(412)
            assert entry["CurrencyIsoCode"] == "EUR"
            assert entry["ERP_Price_List__c"] == "1010/10 EUR"
            # Salesforce wants a standard price first: created at the list price.
            [book] = await _soql(salesforce, "SELECT Id FROM Pricebook2 WHERE IsStandard = true")
            [standard] = await _soql(
                salesforce,
                "SELECT UnitPrice, CurrencyIsoCode, IsActive FROM PricebookEntry "
                f"WHERE Product2Id = '{entry['Product2Id']}' AND Pricebook2Id = '{book['Id']}'",
            )
            assert Decimal(str(standard["UnitPrice"])) == Decimal(412)
            assert (standard["CurrencyIsoCode"], standard["IsActive"]) == ("EUR", True)
        finally:
            await salesforce.aclose()
            await s4.aclose()
