"""Bad records are parked with record and field named; the rest of the batch flows on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.mapping.loader import shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match
from causeway.sync.messages import CHANGES_TOPIC
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile
from tests.support.sandboxes import sandboxes

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def partner(reference: str, **fields: object) -> WriteRequest:
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=reference),
        fields={"BusinessPartnerCategory": "2", **fields},
        idempotency_key=reference,
    )


def address(country: str) -> list[dict[str, str]]:
    return [
        {
            "StreetName": "Dock Road",
            "HouseNumber": "5",
            "CityName": "Hamburg",
            "PostalCode": "20457",
            "Country": country,
        }
    ]


async def test_bad_partners_are_parked_and_good_ones_sync(database: Engine, tmp_path: Path) -> None:
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    bp = catalog.get("s4hana", "A_BusinessPartner", "customer")
    config = default_sync_config()
    config.entities.pop("product")
    with sandboxes(tmp_path, SeedConfig(accounts=10, erp_customers=8, products=0)) as boxes:
        await asyncio.sleep(1.1)
        salesforce, s4 = boxes.salesforce(), boxes.s4()
        clerk = boxes.s4()
        try:
            await initial_match(database, (salesforce, account), (s4, bp))
            pipeline = SyncPipeline(
                database,
                build_routes(config, catalog),
                {"salesforce": salesforce, "s4hana": s4},
                PipelineSettings(idle_seconds=0.05),
            )
            await pipeline.run_until_quiet(timeout_s=120)
            requests = [
                partner(
                    "GOOD1",
                    OrganizationBPName1="Good One GmbH",
                    to_BusinessPartnerAddress=address("DE"),
                ),
                # No organisation name, which the customer mapping requires.
                partner("BADNAME", to_BusinessPartnerAddress=address("DE")),
                # A person: customers are organisations, so it is not read at all.
                partner("PERSON", BusinessPartnerCategory="1", FirstName="Ann", LastName="Lee"),
                partner(
                    "GOOD2",
                    OrganizationBPName1="Good Two GmbH",
                    to_BusinessPartnerAddress=address("DE"),
                ),
                # A malformed address: no such country.
                partner(
                    "BADCTRY",
                    OrganizationBPName1="Nowhere GmbH",
                    to_BusinessPartnerAddress=address("ZZ"),
                ),
                partner(
                    "GOOD3",
                    OrganizationBPName1="Good Three GmbH",
                    to_BusinessPartnerAddress=address("DE"),
                ),
            ]
            results = await clerk.write(requests)
            assert all(result.ok for result in results), [r.error for r in results]
            ids = {
                request.key.external_value: str(result.system_id)
                for request, result in zip(requests, results, strict=True)
            }
            await asyncio.sleep(1.1)
            await pipeline.run_until_quiet(timeout_s=120)

            letters = pipeline.backbone.dead_letters(topic=CHANGES_TOPIC)
            by_record = {letter.partition_key.rsplit(":", 1)[-1]: letter for letter in letters}
            assert set(by_record) == {ids["BADNAME"], ids["BADCTRY"]}
            name = by_record[ids["BADNAME"]]
            assert name.field == "party.name"
            assert ids["BADNAME"] in name.reason
            assert "business_partner.customer.yaml" in name.reason
            assert "required value is missing" in name.reason
            country = by_record[ids["BADCTRY"]]
            assert "country" in (country.field or country.reason)
            assert "ZZ" in country.reason

            report = await reconcile(database, "customer", (salesforce, account), (s4, bp))
            # Only the two parked partners lack a CRM partner; the good ones arrived.
            assert sorted(report.only_right) == sorted([ids["BADNAME"], ids["BADCTRY"]])
            assert report.differing == []
        finally:
            for connector in (salesforce, s4, clerk):
                await connector.aclose()
