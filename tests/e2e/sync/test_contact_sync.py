"""Contacts between Salesforce and S/4HANA contact persons: created, edited, reverted, ended."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match, link_by_key
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile
from causeway.sync.xref import Xref
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_contacts_reach_the_erp_and_follow_the_crm(database: Engine, tmp_path: Path) -> None:
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    partner = catalog.get("s4hana", "A_BusinessPartner", "customer")
    crm_contact = catalog.get("salesforce", "Contact", "contact")
    erp_contact = catalog.get("s4hana", "ContactPerson", "contact")
    config = default_sync_config()
    config.entities.pop("product")
    seed = SeedConfig(accounts=10, erp_customers=8, products=0, contacts_per_account=2)
    with sandboxes(tmp_path, seed) as boxes:
        await asyncio.sleep(1.1)
        salesforce, s4, clerk = boxes.salesforce(), boxes.s4(), boxes.s4()
        try:
            await initial_match(database, (salesforce, account), (s4, partner))
            linked = await link_by_key(
                database, "contact", (salesforce, crm_contact), (s4, erp_contact), "email"
            )
            assert linked.linked == 0  # the ERP holds no contact persons yet
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=300)
            assert pipeline.parked() == 0

            report = await reconcile(
                database,
                "contact",
                (salesforce, crm_contact),
                (s4, erp_contact),
                ignore=frozenset(config.entities["contact"].compare_ignore),
            )
            assert report.left_records == report.right_records == 20
            assert report.clean, report.summary()

            contacts = (await salesforce.changes("Contact", None, 100)).records
            edited, reverted, ended = contacts[0], contacts[1], contacts[2]
            with database.connect() as connection:
                xref = Xref(connection)
                person = {}
                for record in (edited, reverted, ended):
                    canonical_id = xref.canonical_id("contact", "salesforce", record.id)
                    assert canonical_id is not None
                    erp_id = xref.system_id("contact", canonical_id, "s4hana")
                    assert erp_id is not None
                    person[record.id] = erp_id
            [current] = await clerk.read("ContactPerson", [person[reverted.id]])
            company = current.fields["Contact"]["BusinessPartnerCompany"]
            writes_before = pipeline.written()
            results = await salesforce.write(
                [
                    WriteRequest(
                        "Contact",
                        WriteOperation.UPDATE,
                        WriteKey(system_id=edited.id),
                        {"Email": "moved.on@example.org"},
                        "user-1",
                    ),
                    WriteRequest(
                        "Contact", WriteOperation.DELETE, WriteKey(system_id=ended.id), {}, "user-2"
                    ),
                ]
            )
            assert all(result.ok for result in results), [r.error for r in results]
            # An ERP clerk changes a phone number the CRM owns: it is written back.
            [clerk_write] = await clerk.write(
                [
                    WriteRequest(
                        "ContactPerson",
                        WriteOperation.UPDATE,
                        WriteKey(system_id=person[reverted.id]),
                        {
                            "Contact": {
                                "BusinessPartnerCompany": company,
                                "to_ContactRelationship": {"PhoneNumber": "+49 40 000000"},
                            }
                        },
                        "clerk-1",
                    )
                ]
            )
            assert clerk_write.ok, clerk_write.error
            await asyncio.sleep(1.1)
            await pipeline.run_until_quiet(timeout_s=120)

            erp_now = {r.id: r for r in await clerk.read("ContactPerson", list(person.values()))}
            relation = erp_now[person[edited.id]].fields["Contact"]["to_ContactRelationship"]
            assert relation["EmailAddress"] == "moved.on@example.org"
            restored = erp_now[person[reverted.id]].fields["Contact"]["to_ContactRelationship"]
            assert restored["PhoneNumber"] == reverted.fields["Phone"]
            assert erp_now[person[ended.id]].deleted  # its relationship was ended
            # One write each: the email, the reverted phone, the ended relationship.
            assert pipeline.written() - writes_before == 3
            assert pipeline.parked() == 0

            after = await reconcile(
                database,
                "contact",
                (salesforce, crm_contact),
                (s4, erp_contact),
                ignore=frozenset(config.entities["contact"].compare_ignore),
            )
            assert after.left_records == after.right_records == 19
            assert after.clean, after.summary()
        finally:
            for connector in (salesforce, s4, clerk):
                await connector.aclose()
