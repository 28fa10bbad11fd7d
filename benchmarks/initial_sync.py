"""Initial load of seeded sandboxes through the real pipeline, scored against the seed's truth.

Seeds the CRM and the ERP (by default 10,000 accounts, 8,000 business partners of which
6,000 are the same companies spelled differently, 2,000 products), matches, syncs both ways,
then reconciles. Prints matched share, duplicates, drift, records per second and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from causeway.demo import connectors_for
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.launch import start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match, link_products_by_sku
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile
from causeway.sync.xref import Xref


async def measure(
    accounts: int, erp_customers: int, overlap: float, products: int
) -> dict[str, Any]:
    """Run the scenario once and return its figures."""
    config = SeedConfig(
        accounts=accounts,
        erp_customers=erp_customers,
        overlap=overlap,
        products=products,
        contacts_per_account=0,
    )
    universe = generate(config)
    folder = Path(tempfile.mkdtemp(prefix="causeway-bench-"))
    running = start_both(universe, folder)
    database = make_engine(f"sqlite:///{folder / 'causeway.sqlite'}")
    upgrade(database)
    salesforce, s4 = connectors_for(running, settle=timedelta(0))
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    partner = catalog.get("s4hana", "A_BusinessPartner", "customer")
    figures: dict[str, Any] = {"seed": config.model_dump()}
    try:
        await asyncio.sleep(1.1)  # partner stamps have whole seconds: let the seed settle
        started = time.perf_counter()
        matched = await initial_match(database, (salesforce, account), (s4, partner))
        figures["match_seconds"] = round(time.perf_counter() - started, 1)
        figures["match"] = matched.summary()
        truth = {
            (running.crm_seed_index[crm_key], running.erp_seed_index[erp_key])
            for crm_key, erp_key in universe.pairs()
        }
        with database.connect() as connection:
            xref = Xref(connection)
            linked = {
                (crm_id, erp_id)
                for crm_id, erp_id in truth
                if (canonical := xref.canonical_id("customer", "salesforce", crm_id))
                and xref.system_id("customer", canonical, "s4hana") == erp_id
            }
        figures["true_pairs"] = len(truth)
        figures["true_pairs_linked"] = len(linked)
        figures["matched_share"] = round(len(linked) / max(len(truth), 1), 4)
        figures["wrong_links"] = matched.linked - len(linked)
        await link_products_by_sku(database, salesforce, s4, catalog)
        pipeline = SyncPipeline(
            database,
            build_routes(default_sync_config(), catalog),
            {"salesforce": salesforce, "s4hana": s4},
            PipelineSettings(idle_seconds=0.05, page_size=2000),
        )
        started = time.perf_counter()
        changes = await pipeline.run_until_quiet(timeout_s=7200)
        seconds = time.perf_counter() - started
        writes, parked = pipeline.written(), pipeline.parked()
        figures["sync"] = {
            "changes_read": changes,
            "writes": writes,
            "parked": parked,
            "seconds": round(seconds, 1),
            "changes_per_second": round(changes / seconds, 1),
        }
        report = await reconcile(database, "customer", (salesforce, account), (s4, partner))
        figures["reconcile"] = report.summary()
        unlinked_crm, unlinked_erp = len(report.only_left), len(report.only_right)
        expected_crm = accounts + erp_customers - matched.linked - unlinked_erp
        expected_erp = erp_customers + accounts - matched.linked - unlinked_crm
        figures["held_for_review"] = matched.for_review
        figures["duplicates"] = {
            # Found by reconciliation: same Causeway id or same identity twice in one system.
            "crm_groups": len(report.duplicates_left),
            "erp_groups": len(report.duplicates_right),
            "examples": (report.duplicates_left + report.duplicates_right)[:5],
            # Cross-check against the seed: records beyond what matching leaves to create.
            "crm_extra_records": report.left_records - expected_crm,
            "erp_extra_records": report.right_records - expected_erp,
        }
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return figures
    finally:
        await salesforce.aclose()
        await s4.aclose()
        running.stop()
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.initial_sync [--accounts N ...]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--erp-customers", type=int, default=8_000)
    parser.add_argument("--overlap", type=float, default=0.75)
    parser.add_argument("--products", type=int, default=2_000)
    arguments = parser.parse_args(argv)
    configure_logging("WARNING")
    figures = asyncio.run(
        measure(arguments.accounts, arguments.erp_customers, arguments.overlap, arguments.products)
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
