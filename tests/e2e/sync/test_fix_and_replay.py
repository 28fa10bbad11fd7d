"""A change parked for a missing value-map entry is replayed once the entry exists, and its
effect happens exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from causeway.cli import app
from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import (
    MappingCatalog,
    compile_text,
    shipped_mappings,
    shipped_mappings_folder,
)
from causeway.sandbox.seed import SeedConfig
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.messages import CHANGES_TOPIC, commands_topic
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.xref import Xref, short_reference
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SHIPPED = shipped_mappings()


def catalog_with_industries(*known: str) -> MappingCatalog:
    """The shipped catalogue with a strict industry map on accounts: others are refused."""
    text = (shipped_mappings_folder() / "salesforce" / "account.customer.yaml").read_text()
    values = ", ".join(f'"{name}": "{name}"' for name in known)
    text = text.replace(
        "    industry: Industry\n", f"    industry: {{source: Industry, values: {{{values}}}}}\n"
    )
    strict = compile_text(text, "salesforce/account.customer.yaml")
    return MappingCatalog([m for m in SHIPPED if m.key != strict.key] + [strict])


def pipeline_for(database: Engine, catalog: MappingCatalog, connectors: dict) -> SyncPipeline:  # type: ignore[type-arg]
    config = default_sync_config()
    for entity in ("product", "contact"):
        config.entities.pop(entity)
    return SyncPipeline(
        database,
        build_routes(config, catalog),
        connectors,
        PipelineSettings(idle_seconds=0.05),
    )


async def test_a_fixed_mapping_and_a_replay_deliver_the_change_once(
    database: Engine, tmp_path: Path
) -> None:
    seed = SeedConfig(accounts=0, erp_customers=0, products=0, contacts_per_account=0)
    with sandboxes(tmp_path, seed) as boxes:
        salesforce, s4, user = boxes.salesforce(), boxes.s4(), boxes.salesforce(client_name="rep")
        connectors = {"salesforce": salesforce, "s4hana": s4}
        try:
            [made] = await user.write(
                [
                    WriteRequest(
                        "Account",
                        WriteOperation.UPSERT,
                        WriteKey(external_field="ERP_Customer_Number__c", external_value="T1"),
                        {
                            "Name": "Harbour Banking Partners",
                            "Industry": "Banking",
                            "BillingCountryCode": "DE",
                            "BillingCity": "Hamburg",
                        },
                        "rep-1",
                    )
                ]
            )
            assert made.ok, made.error
            account_id = str(made.system_id)
            await asyncio.sleep(1.1)
            strict = pipeline_for(database, catalog_with_industries("Technology"), connectors)
            await strict.run_until_quiet(timeout_s=120)
            [letter] = strict.backbone.dead_letters(topic=CHANGES_TOPIC)
            assert letter.field == "industry"
            assert account_id in letter.reason
            assert "Banking" in letter.reason
            assert strict.written() == 0

            # The operator adds the entry and restarts the sync, then replays the letter.
            fixed = pipeline_for(
                database, catalog_with_industries("Technology", "Banking"), connectors
            )
            url = database.url.render_as_string(hide_password=False)
            replayed = CliRunner().invoke(app, ["dlq", "replay", str(letter.id), "--url", url])
            assert replayed.exit_code == 0, replayed.output
            await fixed.run_until_quiet(timeout_s=120)

            assert [
                (d.field, d.reason) for d in fixed.backbone.dead_letters(topic=CHANGES_TOPIC)
            ] == []
            [stats] = fixed.backbone.stats(commands_topic("s4hana"))
            assert (stats.done, stats.parked) == (1, 0)  # one write to the ERP, no more
            with database.connect() as connection:
                xref = Xref(connection)
                canonical_id = xref.canonical_id("customer", "salesforce", account_id)
                assert canonical_id is not None
                partner = xref.system_id("customer", canonical_id, "s4hana")
            reference = short_reference(canonical_id)
            found = [
                record
                for record in (await s4.changes("A_BusinessPartner", None, 100)).records
                if record.fields.get("SearchTerm2") == reference
            ]
            assert [record.id for record in found] == [partner]  # exactly one partner
            # Replaying the same letter again is refused: it was delivered.
            again = CliRunner().invoke(app, ["dlq", "replay", str(letter.id), "--url", url])
            assert again.exit_code != 0
        finally:
            for connector in (salesforce, s4, user):
                await connector.aclose()
