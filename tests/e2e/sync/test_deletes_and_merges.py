"""Deletes and merges in the CRM reach the ERP as configured, through the real pipeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.decisions import DecisionLog
from causeway.sync.golden import GoldenStore
from causeway.sync.initial_load import initial_match
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile
from causeway.sync.xref import Xref
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_delete_and_a_merge_archive_the_erp_copies(
    database: Engine, tmp_path: Path
) -> None:
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    bp = catalog.get("s4hana", "A_BusinessPartner", "customer")
    config = default_sync_config()
    config.entities.pop("product")
    seed = SeedConfig(accounts=12, erp_customers=8, products=0, contacts_per_account=0)
    with sandboxes(tmp_path, seed) as boxes:
        await asyncio.sleep(1.1)
        salesforce, s4 = boxes.salesforce(), boxes.s4()
        try:
            await initial_match(database, (salesforce, account), (s4, bp))
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=120)
            with database.connect() as connection:
                xref = Xref(connection)
                live = await salesforce.changes("Account", None, 100)
                pairs = []
                for record in live.records:
                    canonical_id = xref.canonical_id("customer", "salesforce", record.id)
                    assert canonical_id is not None
                    erp_id = xref.system_id("customer", canonical_id, "s4hana")
                    assert erp_id is not None
                    pairs.append((record.id, canonical_id, erp_id))
            (gone, gone_id, gone_erp), (master, _, master_erp), (loser, loser_id, loser_erp) = (
                pairs[:3]
            )
            [deleted] = await salesforce.write(
                [
                    WriteRequest(
                        "Account", WriteOperation.DELETE, WriteKey(system_id=gone), {}, "del-1"
                    )
                ]
            )
            assert deleted.ok, deleted.error
            merged = boxes.admin_post(
                "crm", "crm/merge", {"masterRecordId": master, "recordIds": [loser]}
            )
            assert merged["success"] is True
            writes_before = pipeline.written()
            await asyncio.sleep(1.1)
            await pipeline.run_until_quiet(timeout_s=120)

            partners = {
                r.id: r
                for r in await s4.read("A_BusinessPartner", [gone_erp, master_erp, loser_erp])
            }
            assert partners[gone_erp].fields["IsMarkedForArchiving"] is True
            assert partners[loser_erp].fields["IsMarkedForArchiving"] is True
            assert partners[master_erp].fields["IsMarkedForArchiving"] is False
            # Two archivals, nothing else: no ping-pong after them.
            assert pipeline.written() - writes_before == 2
            with database.connect() as connection:
                store = GoldenStore(connection)
                assert store.load("customer", gone_id).state == "deleted"
                loser_golden = store.load("customer", loser_id)
                assert loser_golden.state == "merged"
                log = DecisionLog(connection)
                # Besides the contests of the initial load (the CRM owns names the ERP
                # spelled differently), each record got one lifecycle decision.
                lifecycle = [
                    (d.rule, d.outcome)
                    for object_id in (gone_id, loser_id)
                    for d in log.history("customer", object_id)
                    if d.rule in ("delete", "merge")
                ]
                assert lifecycle == [("delete", "archived"), ("merge", "archived")]

            report = await reconcile(database, "customer", (salesforce, account), (s4, bp))
            assert report.retired == 2
            assert report.clean, report.summary()
        finally:
            await salesforce.aclose()
            await s4.aclose()
