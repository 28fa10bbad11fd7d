"""Initial load and sync of seeded sandboxes: matched, not duplicated, and then quiet."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.store.tables.sync import xref
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match, link_by_key
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_initial_sync_matches_links_creates_only_the_rest_and_reconciles(
    database: Engine, tmp_path: Path
) -> None:
    config = SeedConfig(accounts=120, erp_customers=100, overlap=0.75, products=15, seed=5)
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    partner = catalog.get("s4hana", "A_BusinessPartner", "customer")
    with sandboxes(tmp_path, config) as boxes:
        await asyncio.sleep(1.1)  # partner stamps have whole seconds: let the seed settle
        salesforce, s4 = boxes.salesforce(), boxes.s4()
        try:
            matched = await initial_match(database, (salesforce, account), (s4, partner))
            assert matched.invalid == []
            truth = set(boxes.universe.pairs())
            assert matched.linked + matched.for_review >= 0.98 * len(truth)
            products = await link_by_key(
                database,
                "product",
                (salesforce, catalog.get("salesforce", "Product2", "product")),
                (s4, catalog.get("s4hana", "A_Product", "product")),
                "sku",
            )
            assert products.linked == config.products

            routes = build_routes(default_sync_config(), catalog)
            pipeline = SyncPipeline(
                database,
                routes,
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=300)

            report = await reconcile(database, "customer", (salesforce, account), (s4, partner))
            summary = report.summary()
            held = matched.for_review
            # Only the records waiting for a match review are unlinked; nothing differs.
            assert len(report.only_left) + len(report.only_right) <= 2 * held, summary
            assert report.differing == [], report.differing[:3]
            assert report.dangling == []
            assert report.duplicates_left == report.duplicates_right == []
            crm, erp = 120, 100
            unlinked_crm, unlinked_erp = len(report.only_left), len(report.only_right)
            # Each record without a partner was created once on the other side, no more.
            assert report.left_records == crm + (erp - matched.linked - unlinked_erp)
            assert report.right_records == erp + (crm - matched.linked - unlinked_crm)
            assert report.agreeing == report.left_records - unlinked_crm
            with database.connect() as connection:
                links = connection.execute(
                    select(func.count()).select_from(xref).where(xref.c.entity == "customer")
                ).scalar_one()
            assert links == 2 * report.agreeing

            # A second pass finds only the echoes of its own writes: no write at all.
            writes_before = await _write_count(pipeline)
            await pipeline.run_until_quiet(timeout_s=120)
            assert await _write_count(pipeline) == writes_before

            # Someone keys one of the partners in again by hand: reconciliation names both.
            with database.connect() as connection:
                linked_partner = connection.execute(
                    select(xref.c.system_id)
                    .where(xref.c.system == "s4hana", xref.c.entity == "customer")
                    .limit(1)
                ).scalar_one()
            [original] = await s4.read("A_BusinessPartner", [linked_partner])
            address = original.fields["to_BusinessPartnerAddress"]["results"][0]
            [copy] = await s4.write(
                [
                    WriteRequest(
                        "A_BusinessPartner",
                        WriteOperation.UPSERT,
                        WriteKey(external_field="SearchTerm2", external_value="TYPEDAGAIN"),
                        {
                            "BusinessPartnerCategory": "2",
                            "OrganizationBPName1": original.fields["OrganizationBPName1"].upper(),
                            "to_BusinessPartnerAddress": [
                                {
                                    name: address[name]
                                    for name in ("StreetName", "PostalCode", "CityName", "Country")
                                }
                            ],
                        },
                        "typed-again",
                    )
                ]
            )
            assert copy.ok, copy.error
            again = await reconcile(database, "customer", (salesforce, account), (s4, partner))
            assert again.duplicates_right == [sorted([original.id, str(copy.system_id)])]
            assert not again.clean
        finally:
            await salesforce.aclose()
            await s4.aclose()


async def _write_count(pipeline: SyncPipeline) -> int:
    stats = await asyncio.to_thread(pipeline.backbone.stats)
    return sum(s.done + s.parked for s in stats if s.topic.startswith("sync.commands."))
