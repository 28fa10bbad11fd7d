"""A REST system configured from YAML alone syncs customers with the CRM, both ways.

The customer directory (tests/e2e/sync/rest_directory) is reached through `directory.yaml`
and mapped by `customers.customer.yaml`; no code of Causeway knows it. The CRM owns names and
addresses, the directory owns phone numbers. After the initial sync both sides hold every
customer exactly once and agree; later edits on either side travel with one write each, and an
edit of a field the other side owns is reverted with one write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.rest import RestConnector
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.mapping.loader import MappingCatalog, load_mapping, shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.store.tables.sync import xref
from causeway.sync.config import SyncConfig, build_routes
from causeway.sync.messages import commands_topic
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import ReconciliationReport, read_all, reconcile
from tests.e2e.sync.rest_directory.service import ServedDirectory, serve_directory
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

DIRECTORY = Path(__file__).parent / "rest_directory"
ACCOUNTS = 100
OWN_CUSTOMERS = [
    {
        "name": "Nordlicht Werkzeuge GmbH",
        "street": "Hauptstrasse 12a",
        "city": "Hamburg",
        "postal_code": "20095",
        "country": "DE",
        "phone": "+49 40 5550101",
    },
    {
        "name": "Baker Street Instruments Ltd",
        "street": "221 Baker Street",
        "city": "London",
        "postal_code": "NW1 6XE",
        "country": "GB",
        "phone": "+44 20 55500102",
    },
    {
        "name": "Market Street Provisions Inc.",
        "street": "1600 Market Street",
        "city": "Philadelphia",
        "postal_code": "19103",
        "country": "US",
        "phone": "+1 215 5550103",
    },
    {
        "name": "Atelier de la Paix SAS",
        "street": "12 rue de la Paix",
        "city": "Paris",
        "postal_code": "75002",
        "country": "FR",
        "phone": "+33 1 55500104",
    },
]
SYNC = SyncConfig.model_validate(
    {
        "entities": {
            "customer": {
                "owners": {
                    "party": "salesforce",
                    "addresses": "salesforce",
                    "phone": "directory",
                },
                "default_owner": "salesforce",
                "endpoints": [
                    {
                        "system": "salesforce",
                        "object": "Account",
                        "external_field": "Causeway_Id__c",
                    },
                    {
                        "system": "directory",
                        "object": "customers",
                        "external_field": "external_ref",
                        "reference": "canonical_id",
                    },
                ],
            }
        }
    }
)


@pytest.fixture
def directory() -> Iterator[ServedDirectory]:
    """The directory service with a few customers the CRM does not know."""
    with serve_directory(OWN_CUSTOMERS) as served:
        yield served


async def test_a_yaml_configured_rest_system_syncs_with_the_crm_both_ways(
    database: Engine, tmp_path: Path, directory: ServedDirectory
) -> None:
    catalog = MappingCatalog(
        [*shipped_mappings(), load_mapping(DIRECTORY / "customers.customer.yaml", base=DIRECTORY)]
    )
    account = catalog.get("salesforce", "Account", "customer")
    customers = catalog.get("directory", "customers", "customer")
    seed = SeedConfig(
        accounts=ACCOUNTS, erp_customers=0, products=0, contacts_per_account=0, seed=17
    )
    with sandboxes(tmp_path, seed) as boxes:
        salesforce = boxes.salesforce()
        rest = RestConnector.from_file(DIRECTORY / "directory.yaml", env=directory.env())
        try:
            pipeline = SyncPipeline(
                database,
                build_routes(SYNC, catalog),
                {"salesforce": salesforce, "directory": rest},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=60)

            total = ACCOUNTS + len(OWN_CUSTOMERS)
            report = await reconcile(database, "customer", (salesforce, account), (rest, customers))
            _assert_clean(report, total)
            assert {
                "party.name",
                "phone",
                "addresses[billing].street",
                "addresses[billing].house_number",
                "addresses[billing].city",
                "addresses[billing].postal_code",
                "addresses[billing].country",
            } <= set(report.compared_fields)
            # Each CRM account was created in the directory once; nothing twice.
            state = directory.state
            references = [c.fields["external_ref"] for c in state.customers.values()]
            assert len(references) == total
            assert None not in references
            assert len(set(references)) == total
            assert state.writes["POST"] == ACCOUNTS
            crm_accounts = await read_all(salesforce, "Account")
            assert {str(a.fields["Causeway_Id__c"]) for a in crm_accounts} == set(references)
            # The directory's own customers reached the CRM, with the directory's phones.
            crm_by_name = {a.fields["Name"]: a.fields for a in crm_accounts}
            for own in OWN_CUSTOMERS:
                assert crm_by_name[own["name"]]["Phone"] == own["phone"]
                assert crm_by_name[own["name"]]["BillingCity"] == own["city"]
            assert _parked(pipeline) == 0

            await _edits_travel_with_one_write_each(
                database, pipeline, boxes.salesforce(client_name="sales-rep"), directory
            )
            report = await reconcile(database, "customer", (salesforce, account), (rest, customers))
            _assert_clean(report, total)
            assert _parked(pipeline) == 0
        finally:
            await salesforce.aclose()
            await rest.aclose()


async def _edits_travel_with_one_write_each(
    database: Engine,
    pipeline: SyncPipeline,
    crm_user: SalesforceConnector,
    directory: ServedDirectory,
) -> None:
    own_ids = set(range(1, len(OWN_CUSTOMERS) + 1))  # the directory numbers from 1
    pairs = _linked(database)
    from_directory = sorted(pair for pair in pairs if int(pair[1]) in own_ids)
    from_crm = sorted(pair for pair in pairs if int(pair[1]) not in own_ids)
    renamed, rephoned, clerk_renamed = from_crm[:3]
    moved, own_rephoned = from_directory[:2]
    state = directory.state
    written_before = _writes(pipeline)
    patches_before = state.writes["PATCH"]
    clerk_original = state.customers[int(clerk_renamed[1])].fields["name"]
    try:
        # The CRM's own fields: must reach the directory.
        await _crm_edit(crm_user, renamed[0], {"Name": "Renamed In The CRM Ltd"})
        await _crm_edit(crm_user, moved[0], {"BillingCity": "Bremen"})
    finally:
        await crm_user.aclose()
    async with _directory_user(directory) as user:
        # The directory's own field: must reach the CRM.
        await _directory_edit(user, rephoned[1], {"phone": "+49 30 5559001"})
        await _directory_edit(user, own_rephoned[1], {"phone": "+49 40 5559002"})
        # A clerk renames a customer in the directory: the CRM owns names, so it is reverted.
        await _directory_edit(user, clerk_renamed[1], {"name": "CLERK RENAMED"})
    user_patches = 3

    await pipeline.run_until_quiet(timeout_s=30)

    written = _writes(pipeline) - written_before
    assert written == Counter({"directory": 3, "salesforce": 2})
    assert state.writes["PATCH"] - patches_before == user_patches + written["directory"]
    assert state.customers[int(renamed[1])].fields["name"] == "Renamed In The CRM Ltd"
    assert state.customers[int(moved[1])].fields["city"] == "Bremen"
    assert state.customers[int(clerk_renamed[1])].fields["name"] == clerk_original
    crm = {
        record.id: record.fields
        for record in await pipeline.connectors["salesforce"].read(
            "Account", [rephoned[0], own_rephoned[0]]
        )
    }
    assert crm[rephoned[0]]["Phone"] == "+49 30 5559001"
    assert crm[own_rephoned[0]]["Phone"] == "+49 40 5559002"


def _assert_clean(report: ReconciliationReport, total: int) -> None:
    summary = report.summary()
    assert report.differing == [], report.differing[:3]
    assert report.clean, summary
    assert report.left_records == report.right_records == report.agreeing == total, summary


def _linked(database: Engine) -> list[tuple[str, str]]:
    """(CRM Account id, directory customer id) of every linked customer."""
    with database.connect() as connection:
        rows = connection.execute(
            select(xref.c.canonical_id, xref.c.system, xref.c.system_id).where(
                xref.c.entity == "customer"
            )
        ).all()
    by_canonical: dict[str, dict[str, str]] = {}
    for canonical_id, system, system_id in rows:
        by_canonical.setdefault(canonical_id, {})[system] = system_id
    return [(ids["salesforce"], ids["directory"]) for ids in by_canonical.values()]


def _writes(pipeline: SyncPipeline) -> Counter[str]:
    """Writes the sync made (or gave up on), by target system."""
    counts: Counter[str] = Counter()
    for stats in pipeline.backbone.stats():
        for system in pipeline.connectors:
            if stats.topic == commands_topic(system):
                counts[system] += stats.done + stats.parked
    return counts


def _parked(pipeline: SyncPipeline) -> int:
    return sum(stats.parked for stats in pipeline.backbone.stats())


async def _crm_edit(user: SalesforceConnector, account_id: str, fields: dict[str, Any]) -> None:
    request = WriteRequest(
        object_name="Account",
        operation=WriteOperation.UPDATE,
        key=WriteKey(system_id=account_id),
        fields=fields,
        idempotency_key=f"user-edit-{account_id}",
    )
    [result] = await user.write([request])
    assert result.ok, result.error


def _directory_user(directory: ServedDirectory) -> httpx.AsyncClient:
    """A person working in the directory's own client, with its own token."""
    return httpx.AsyncClient(
        base_url=directory.base_url,
        headers={"Authorization": f"Bearer {directory.state.token}"},
    )


async def _directory_edit(
    user: httpx.AsyncClient, customer_id: str, fields: dict[str, Any]
) -> None:
    response = await user.patch(f"/customers/{customer_id}", json={"customer": fields})
    response.raise_for_status()
