"""Customers and products between the CRM sandbox and a real Tryton server, 1,000 parties.

The CRM holds 1,000 accounts and a product catalogue; Tryton starts from the test template
(one company party, no product). After the first sync both sides hold the same customers and
products, once each. Then users edit a few parties in Tryton and a few accounts in the CRM:
each edit costs the sync exactly one write, and both sides agree again.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.connectors.tryton import TrytonConnector, TrytonSettings
from causeway.mapping.errors import UnmappedValueError
from causeway.mapping.loader import MappingCatalog, shipped_mappings
from causeway.sandbox.seed import SeedConfig
from causeway.store.tables.sync import xref
from causeway.sync.config import SyncConfig, build_routes
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import ReconciliationReport, reconcile
from tests.support.sandboxes import sandboxes
from tests.support.tryton_server import TrytonServer, TrytonUnavailable, running_server

PARTIES = 1_000
PRODUCTS = 40
SETTLE_S = 1.0
"""Our writes and the users' edits are over before each poll, so one second of settling
covers the server's whole-second Date header."""


def sync_config() -> SyncConfig:
    """Customers owned by the CRM, products by Tryton, keyed for idempotent creates."""
    return SyncConfig.model_validate(
        {
            "entities": {
                "customer": {
                    # The CRM owns the customer; Tryton adds the e-mail, which the CRM lacks.
                    "default_owner": "salesforce",
                    "owners": {"email": "tryton"},
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "Account",
                            "external_field": "Causeway_Id__c",
                        },
                        {
                            "system": "tryton",
                            "object": "party.party",
                            "external_field": "code",
                            "reference": "short",
                            # Tryton keeps the code a party was created with.
                            "stamp_existing": False,
                        },
                    ],
                },
                "product": {
                    # Tryton owns the product master it carries; the CRM keeps the marketing
                    # details Tryton has no field for.
                    "default_owner": "tryton",
                    "owners": {
                        "descriptions": "salesforce",
                        "family": "salesforce",
                        "weight": "salesforce",
                    },
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "Product2",
                            "external_field": "ERP_Material__c",
                            "reference": "field",
                            "reference_field": "sku",
                        },
                        {
                            "system": "tryton",
                            "object": "product.template",
                            "external_field": "code",
                            "reference": "field",
                            "reference_field": "sku",
                        },
                    ],
                },
            }
        }
    )


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """(url, database, login, password) of a trytond running on a copy of the template."""
    try:
        with running_server(tmp_path_factory.mktemp("tryton")) as server:
            yield server
            return
    except TrytonUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Tryton is required in CI: {error}")
        pytest.skip(f"Tryton cannot be installed or started here: {error}")


def tryton_settings(server: TrytonServer) -> TrytonSettings:
    """Settings for the test server, with a settle interval of one second."""
    return TrytonSettings(
        url=server.url,
        database=server.database,
        login=server.login,
        password=server.password,
        settle_seconds=SETTLE_S,
        timeout=120,
    )


@pytest.fixture
async def tryton(tryton_server: TrytonServer) -> AsyncIterator[TrytonConnector]:
    """The sync's connector to Tryton."""
    connector = TrytonConnector(tryton_settings(tryton_server))
    try:
        yield connector
    finally:
        await connector.aclose()


@pytest.fixture
async def tryton_user(tryton_server: TrytonServer) -> AsyncIterator[TrytonConnector]:
    """A person working in Tryton, on a line of their own."""
    connector = TrytonConnector(tryton_settings(tryton_server))
    try:
        yield connector
    finally:
        await connector.aclose()


async def count(connector: TrytonConnector, object_name: str) -> int:
    """Records of an object in Tryton, archived ones included."""
    found = await connector.client.execute(
        object_name, "search_count", [], context={"active_test": False}
    )
    assert isinstance(found, int)
    return found


async def check(
    database: Engine,
    catalog: MappingCatalog,
    salesforce: SalesforceConnector,
    tryton: TrytonConnector,
) -> tuple[ReconciliationReport, ReconciliationReport]:
    """Reconcile customers and products; both must be clean."""
    customers = await reconcile(
        database,
        "customer",
        (salesforce, catalog.get("salesforce", "Account", "customer")),
        (tryton, catalog.get("tryton", "party.party", "customer")),
    )
    assert customers.clean, (customers.summary(), customers.differing[:3])
    products = await reconcile(
        database,
        "product",
        (salesforce, catalog.get("salesforce", "Product2", "product")),
        (tryton, catalog.get("tryton", "product.template", "product")),
    )
    assert products.clean, (products.summary(), products.differing[:3])
    return customers, products


def writes(pipeline: SyncPipeline) -> dict[str, int]:
    """Writes done (or given up) per target system so far."""
    stats = pipeline.backbone.stats()
    return {
        s.topic.removeprefix("sync.commands."): s.done + s.parked
        for s in stats
        if s.topic.startswith("sync.commands.")
    }


def parked(pipeline: SyncPipeline) -> int:
    """Envelopes the pipeline gave up on: none may exist."""
    return sum(s.parked for s in pipeline.backbone.stats())


def user_edit(object_name: str, record_id: str, number: int, **fields: Any) -> WriteRequest:
    """An edit a person saves in one of the systems."""
    return WriteRequest(
        object_name=object_name,
        operation=WriteOperation.UPDATE,
        key=WriteKey(system_id=record_id),
        fields=fields,
        idempotency_key=f"user-edit-{number}",
    )


def linked(database: Engine, entity: str) -> dict[str, dict[str, str]]:
    """System ids of every linked record of an entity, by canonical id."""
    with database.connect() as connection:
        rows = connection.execute(
            select(xref.c.canonical_id, xref.c.system, xref.c.system_id).where(
                xref.c.entity == entity
            )
        ).all()
    found: dict[str, dict[str, str]] = {}
    for canonical_id, system, system_id in rows:
        found.setdefault(canonical_id, {})[system] = system_id
    return found


@pytest.mark.anyio
@pytest.mark.slow
@pytest.mark.services
async def test_customers_and_products_sync_with_tryton_once_each_and_edits_cost_one_write(
    database: Engine,
    tmp_path: Path,
    tryton: TrytonConnector,
    tryton_user: TrytonConnector,
) -> None:
    catalog = shipped_mappings()
    seed = SeedConfig(
        accounts=PARTIES, erp_customers=0, products=PRODUCTS, contacts_per_account=0, seed=9
    )
    template_parties = await count(tryton, "party.party")
    template_ids = {
        str(record_id)
        for record_id in await tryton.client.execute(
            "party.party", "search", [], context={"active_test": False}
        )
    }
    template_products = await count(tryton, "product.template")
    with sandboxes(tmp_path / "sandboxes", seed) as boxes:
        salesforce = boxes.salesforce()
        crm_user = boxes.salesforce(client_name="sales-rep")
        pipeline = SyncPipeline(
            database,
            build_routes(sync_config(), catalog),
            {"salesforce": salesforce, "tryton": tryton},
            PipelineSettings(idle_seconds=0.05, page_size=500, quiet_interval_s=2.5),
        )
        try:
            started = time.perf_counter()
            changes = await pipeline.run_until_quiet(timeout_s=240)
            seconds = time.perf_counter() - started
            initial = await asyncio.to_thread(writes, pipeline)
            parties = PARTIES + template_parties
            print(
                f"\ninitial sync of {PARTIES} accounts and {PRODUCTS} products with Tryton: "
                f"{seconds:.1f} s, {changes} changes read, writes {initial}, "
                f"{parties / seconds:.1f} parties/s, {changes / seconds:.1f} changes/s"
            )
            assert await asyncio.to_thread(parked, pipeline) == 0

            customers, products = await check(database, catalog, salesforce, tryton)
            # Every account reached Tryton once; the template's own party reached the CRM.
            assert customers.right_records == parties
            assert await count(tryton, "party.party") == parties
            assert customers.left_records == parties
            assert customers.agreeing == parties
            assert {"party.name", "addresses[billing].city", "phone"} <= set(
                customers.compared_fields
            )
            assert products.agreeing == PRODUCTS + template_products
            assert await count(tryton, "product.template") == PRODUCTS + template_products
            assert {"sku", "name", "uom"} <= set(products.compared_fields)

            pairs = sorted(
                (ids["salesforce"], ids["tryton"])
                for ids in linked(database, "customer").values()
                if {"salesforce", "tryton"} <= ids.keys()
            )
            assert len(pairs) == parties
            pairs = [pair for pair in pairs if pair[1] not in template_ids]
            edits = await edit_both_sides(crm_user, tryton_user, pairs)
            before = await asyncio.to_thread(writes, pipeline)
            await pipeline.run_until_quiet(timeout_s=120)
            after = await asyncio.to_thread(writes, pipeline)
            spent = {system: after.get(system, 0) - before.get(system, 0) for system in after}
            print(f"after {edits} edits: writes {spent}")
            assert await asyncio.to_thread(parked, pipeline) == 0
            # Each edit costs one write to Tryton: a CRM edit is propagated, a Tryton edit
            # of a field the CRM owns is put back. Nothing goes to the CRM.
            assert spent.get("tryton", 0) == edits
            assert spent.get("salesforce", 0) == 0
            customers, _ = await check(database, catalog, salesforce, tryton)
            assert customers.agreeing == parties
            assert await count(tryton, "party.party") == parties
            renamed, reverted, moved = await tryton.read(
                "party.party", [pairs[0][1], pairs[3][1], pairs[5][1]]
            )
            assert renamed.fields["name"] == "Renamed In The CRM Ltd"
            assert reverted.fields["name"] != "Renamed In Tryton"
            assert moved.fields["addresses."][0]["city"] != "Elsewhere"
        finally:
            await salesforce.aclose()
            await crm_user.aclose()


async def edit_both_sides(
    crm: SalesforceConnector, tryton: TrytonConnector, pairs: list[tuple[str, str]]
) -> int:
    """Users rename and move customers in both systems, each on a different customer."""
    crm_edits = [
        user_edit("Account", pairs[0][0], 1, Name="Renamed In The CRM Ltd"),
        user_edit("Account", pairs[1][0], 2, BillingCity="Springfield", BillingPostalCode="4711"),
        user_edit("Account", pairs[2][0], 3, Phone="+1 555 0100"),
    ]
    for result in await crm.write(crm_edits):
        assert result.ok, result.error
    tryton_edits = [
        user_edit("party.party", pairs[3][1], 4, name="Renamed In Tryton"),
        user_edit("party.party", pairs[4][1], 5, name="Another Tryton Name"),
    ]
    for result in await tryton.write(tryton_edits):
        assert result.ok, result.error
    # A clerk corrects the city on the party form: the address is saved through its party.
    [party] = await tryton.read("party.party", [pairs[5][1]])
    [address] = party.fields["addresses."]
    [moved] = await tryton.write(
        [
            user_edit(
                "party.party",
                pairs[5][1],
                6,
                addresses=[["write", [address["id"]], {"city": "Elsewhere"}]],
            )
        ]
    )
    assert moved.ok, moved.error
    return len(crm_edits) + len(tryton_edits) + 1


def as_tryton_reads(payload: dict[str, Any], record_id: int) -> dict[str, Any]:
    """A party as the connector reads it back after `payload` was created."""
    [[_, addresses]] = payload.get("addresses", [["create", []]])
    [[_, mechanisms]] = payload.get("contact_mechanisms", [["create", []]])
    return {
        "id": record_id,
        "name": payload["name"],
        "addresses.": [{"id": 1, **address} for address in addresses],
        "contact_mechanisms.": [{"id": 1, **mechanism} for mechanism in mechanisms],
    }


@pytest.mark.parametrize(
    ("street", "house_number"),
    [("Main Street", "123"), ("Flat 10r\nKyle Union", None), ("Quay", None)],
)
def test_a_party_reads_back_as_the_customer_it_was_written_from(
    street: str, house_number: str | None
) -> None:
    mapping = shipped_mappings().get("tryton", "party.party", "customer")
    address = {"role": "billing", "street": street, "postal_code": "4711", "city": "Bristol"}
    if house_number:
        address["house_number"] = house_number
    customer = {
        "party": {"name": "Acme Ltd"},
        "addresses": [address],
        "phone": "+44 117 496 0000",
        "website": "https://acme.example",
    }

    payload = mapping.to_system(customer)
    back = mapping.to_canonical(as_tryton_reads(payload, 7)).model_dump(
        mode="json", exclude_none=True
    )

    [line] = payload["addresses"][0][1]
    assert ("street_unstructured" in line) == ("\n" in street)  # a street name is one line
    assert back["party"] == customer["party"]
    assert back["addresses"] == [address]
    assert (back["phone"], back["website"]) == (customer["phone"], customer["website"])
    assert back["external_ids"] == {"tryton": "7"}


def test_a_party_without_address_or_contact_writes_neither() -> None:
    mapping = shipped_mappings().get("tryton", "party.party", "customer")

    payload = mapping.to_system({"party": {"name": "Bare Ltd"}})

    assert payload == {"name": "Bare Ltd"}


def test_product_units_map_to_tryton_ids_and_an_unknown_one_is_reported() -> None:
    mapping = shipped_mappings().get("tryton", "product.template", "product")
    base = {"id": 3, "code": "MAT-000001", "name": "Gear Pump 40", "active": 1}

    kilogram = mapping.to_system({"sku": "MAT-000001", "name": "Gear Pump 40", "uom": "KG"})
    piece = mapping.to_system({"sku": "MAT-000002", "name": "Seal Kit", "uom": "PC"})

    assert (kilogram["default_uom"], kilogram["sale_uom"]) == (2, 2)
    assert mapping.to_canonical({**base, "default_uom": 2}).model_dump()["uom"] == "KG"
    # Tryton has one count unit: pieces are written as Unit and read back as each.
    assert piece["default_uom"] == 1
    assert mapping.to_canonical({**base, "default_uom": 1}).model_dump()["uom"] == "EA"
    with pytest.raises(UnmappedValueError) as unknown:
        mapping.to_canonical({**base, "default_uom": 35})
    assert unknown.value.field == "uom"
