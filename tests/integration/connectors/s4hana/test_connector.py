"""The S/4HANA connector against the ERP sandbox: changes, CSRF, retry-safe writes, errors."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from pydantic import SecretStr

from causeway.connectors.contract import WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ErrorClass, FatalError
from causeway.connectors.s4hana.client import ODATA_ROOT, S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.sandbox.faults import FaultPlan
from tests.support.sandboxes import Sandboxes

pytestmark = pytest.mark.anyio


def partner(reference: str, name: str) -> WriteRequest:
    return WriteRequest(
        object_name="A_BusinessPartner",
        operation=WriteOperation.UPSERT,
        key=WriteKey(external_field="SearchTerm2", external_value=reference),
        fields={
            "BusinessPartnerCategory": "2",
            "BusinessPartnerGrouping": "BP02",
            "OrganizationBPName1": name,
        },
        idempotency_key=f"{reference}:{name}",
    )


def reference() -> str:
    return uuid.uuid4().hex[:16].upper()


async def test_full_read_of_partners_and_products(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        await asyncio.sleep(1.1)  # partner stamps have whole seconds: let the seed settle
        partners = await connector.changes("A_BusinessPartner", None, 5000)
        assert len(partners.records) >= len(sandbox.universe.erp_customers)
        assert len({record.id for record in partners.records}) == len(partners.records)
        products = await connector.changes("A_Product", None, 5000)
        assert len(products.records) == len(sandbox.universe.products)
    finally:
        await connector.aclose()


async def test_create_then_update_by_reference_and_see_both_as_changes(
    sandbox: Sandboxes,
) -> None:
    connector = sandbox.s4()
    try:
        start = await connector.changes("A_BusinessPartner", None, 5000)
        ref = reference()
        [created] = await connector.write([partner(ref, "Reference Test AG")])
        assert created.ok, created.error
        assert created.created
        await asyncio.sleep(1.1)  # BP change stamps have whole seconds
        [updated] = await connector.write([partner(ref, "Reference Test AG (new)")])
        assert updated.ok, updated.error
        assert not updated.created
        assert updated.system_id == created.system_id
        await asyncio.sleep(1.1)
        later = await connector.changes("A_BusinessPartner", start.cursor, 100)
        ids = [record.id for record in later.records]
        assert ids.count(str(created.system_id)) == 1
        [record] = await connector.read("A_BusinessPartner", [str(created.system_id)])
        assert record.fields["OrganizationBPName1"] == "Reference Test AG (new)"
    finally:
        await connector.aclose()


async def test_a_lost_answer_then_retry_creates_one_partner(sandbox: Sandboxes) -> None:
    connector = sandbox.s4(timeout_s=1.0)
    ref = reference()
    try:
        await connector.changes("A_Product", None, 1)
        sandbox.set_faults("erp", FaultPlan(ambiguous_write_rate=1.0, ambiguous_delay_s=3))
        [lost] = await connector.write([partner(ref, "Lost Answer SE")])
        assert lost.error is not None
        assert lost.error.ambiguous
        sandbox.set_faults("erp", FaultPlan())
        await asyncio.sleep(2.5)
        [retried] = await connector.write([partner(ref, "Lost Answer SE")])
        assert retried.ok, retried.error
        assert not retried.created
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await connector.aclose()


async def test_an_expired_csrf_token_is_fetched_again(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        [first] = await connector.write([partner(reference(), "Token One GmbH")])
        assert first.ok, first.error
        # Forget the server-side session: the cached token is no longer valid.
        connector.client._http.cookies.clear()
        [second] = await connector.write([partner(reference(), "Token Two GmbH")])
        assert second.ok, second.error
    finally:
        await connector.aclose()


async def test_invalid_input_names_the_property(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        bad = partner(reference(), "X" * 80)  # OrganizationBPName1 has MaxLength 40
        [result] = await connector.write([bad])
        assert result.error is not None
        assert result.error.error_class is ErrorClass.INVALID
        assert "OrganizationBPName1" in result.error.describe()
    finally:
        await connector.aclose()


async def test_wrong_password_is_fatal(sandbox: Sandboxes) -> None:
    connector = sandbox.s4(password="wrong")
    try:
        with pytest.raises(FatalError):
            await connector.changes("A_BusinessPartner", None, 1)
    finally:
        await connector.aclose()


def test_odata_root_is_sap_standard() -> None:
    assert ODATA_ROOT == "/sap/opu/odata/sap"


async def test_an_update_reaches_the_address_and_the_sales_area(sandbox: Sandboxes) -> None:
    connector = sandbox.s4()
    try:
        await asyncio.sleep(1.1)
        [record] = (await connector.changes("A_BusinessPartner", None, 1)).records
        update = WriteRequest(
            object_name="A_BusinessPartner",
            operation=WriteOperation.UPDATE,
            key=WriteKey(system_id=record.id),
            fields={
                "OrganizationBPName1": "Deep Update AG",
                "to_BusinessPartnerAddress": [{"CityName": "Leipzig", "PostalCode": "04109"}],
                "to_Customer": {"to_CustomerSalesArea": [{"CustomerPaymentTerms": "NT45"}]},
            },
            idempotency_key="deep-update",
        )
        [result] = await connector.write([update])
        assert result.ok, result.error
        [after] = await connector.read("A_BusinessPartner", [record.id])
        assert after.fields["OrganizationBPName1"] == "Deep Update AG"
        address = after.fields["to_BusinessPartnerAddress"]["results"][0]
        assert (address["CityName"], address["PostalCode"]) == ("Leipzig", "04109")
        customer = after.fields["to_Customer"]
        area = customer["to_CustomerSalesArea"]["results"][0]
        assert area["CustomerPaymentTerms"] == "NT45"
    finally:
        await connector.aclose()


async def test_full_read_follows_next_links_to_the_end() -> None:
    # Regression: following `__next` must keep its query ($skiptoken, $expand), or the
    # first page comes back forever.
    from causeway.sandbox.erp.app import ErpSettings, create_app
    from causeway.sandbox.seed import SeedConfig, generate
    from causeway.sandbox.server import serve_in_thread

    universe = generate(
        SeedConfig(accounts=0, erp_customers=25, products=0, contacts_per_account=0)
    )
    settings = ErpSettings(page_size=10)
    app = create_app(settings, universe)
    with serve_in_thread(app, date_header=False) as server:
        connector = S4Connector(
            S4Settings(
                base_url=server.url,
                username=settings.username,
                password=SecretStr(settings.password),
            ),
            settle=timedelta(0),
        )
        try:
            await asyncio.sleep(1.1)
            page = await connector.changes("A_BusinessPartner", None, 1000)
            ids = [record.id for record in page.records]
            assert len(ids) == 25
            assert len(set(ids)) == 25
            assert all("to_BusinessPartnerAddress" in r.fields for r in page.records)
        finally:
            await connector.aclose()


async def test_paced_calls_stay_under_the_gateways_spike_arrest(sandbox: Sandboxes) -> None:
    limit = {"requests_per_second": 20, "burst": 3}
    sandbox.set_faults("erp", FaultPlan.model_validate({"rate_limit": limit}))
    # One call per lookup and per write: $batch would carry these eight in three calls
    # (test_batch_writes covers pacing of batches).
    unpaced = sandbox.s4(batch=False)
    paced = sandbox.s4(calls_per_second=18, burst=2, batch=False)
    try:
        # Without pacing a batch of creates (a lookup and a POST each) runs into the limit.
        names = [partner(reference(), f"Pace {n} GmbH") for n in range(8)]
        results = await unpaced.write(names)
        assert any(
            r.error is not None and r.error.error_class is ErrorClass.THROTTLED for r in results
        )
        sandbox.set_faults("erp", FaultPlan.model_validate({"rate_limit": limit}))
        refused = sandbox.admin_get("erp", "/faults")["injected"]["rate_limited"]
        results = await paced.write([partner(reference(), f"Paced {n} GmbH") for n in range(8)])
        assert all(r.ok for r in results), [r.error for r in results if r.error]
        state = sandbox.admin_get("erp", "/faults")
        assert state["injected"]["rate_limited"] == refused  # none refused since
        assert state["peak_per_second"] <= 20
    finally:
        sandbox.set_faults("erp", FaultPlan())
        await unpaced.aclose()
        await paced.aclose()
