"""Full reads across pages in every paging style, and reads by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from causeway.connectors.errors import FatalError, ThrottledError
from tests.integration.connectors.rest.app import T0, Helpdesk
from tests.integration.connectors.rest.conftest import AUTH, PAGINATORS, Build

pytestmark = pytest.mark.anyio


def seed(helpdesk: Helpdesk, count: int = 7) -> list[str]:
    return [
        str(helpdesk.add(T0 + timedelta(minutes=n), subject=f"Ticket {n}")["id"])
        for n in range(count)
    ]


@pytest.mark.parametrize("style", sorted(PAGINATORS))
async def test_full_read_across_pages(helpdesk: Helpdesk, build: Build, style: str) -> None:
    ids = seed(helpdesk)
    connector = await build(style=style)
    pages = [page async for page in connector.scan("tickets")]
    assert [record.id for page in pages for record in page] == ids
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert pages[0][0].modified_at == T0


@pytest.mark.parametrize("realm", sorted(AUTH))
async def test_every_authentication_scheme_reads(
    helpdesk: Helpdesk, build: Build, realm: str
) -> None:
    ids = seed(helpdesk, 3)
    connector = await build(realm=realm)
    records = [record async for page in connector.scan("tickets") for record in page]
    assert [record.id for record in records] == ids


async def test_oauth_token_is_reused_and_renewed_when_revoked(
    helpdesk: Helpdesk, build: Build
) -> None:
    seed(helpdesk, 5)
    connector = await build(realm="oauth")
    assert len(await connector.read("tickets", ["1", "2", "3"])) == 3
    assert helpdesk.issued == 1
    helpdesk.tokens.clear()
    assert len(await connector.read("tickets", ["4"])) == 1
    assert helpdesk.issued == 2


async def test_wrong_credentials_are_fatal(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build(env={"HELPDESK_TOKEN": "wrong"})
    with pytest.raises(FatalError) as caught:
        await connector.read("tickets", ["1"])
    assert caught.value.status == 401
    assert "not authenticated" in str(caught.value)


async def test_read_by_id_keeps_order_and_leaves_out_missing(
    helpdesk: Helpdesk, build: Build
) -> None:
    seed(helpdesk, 3)
    connector = await build()
    records = await connector.read("tickets", ["3", "99", "1", "3", "../tickets"])
    assert [record.id for record in records] == ["3", "1"]
    assert records[0].fields["subject"] == "Ticket 2"


async def test_read_through_a_list_endpoint_with_an_ids_filter(
    helpdesk: Helpdesk, build: Build
) -> None:
    seed(helpdesk, 5)
    connector = await build()
    listed = connector.config.resources["tickets"].model_copy(
        update={
            "read": connector.config.resources["tickets"].read.model_copy(  # type: ignore[union-attr]
                update={"path": "/tickets", "ids_param": "ids", "max_ids": 2}
            )
        }
    )
    connector.config.resources["tickets"] = listed
    records = await connector.read("tickets", ["5", "2", "4", "77"])
    assert [record.id for record in records] == ["5", "2", "4"]


async def test_429_is_throttled_with_retry_after(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build()
    with pytest.raises(ThrottledError) as caught:
        await connector.client.request("GET", "/throttled", object_name="tickets")
    assert caught.value.retry_after == 3.0
    assert caught.value.status == 429


async def test_describe_unknown_resource_is_fatal(helpdesk: Helpdesk, build: Build) -> None:
    connector = await build()
    schema = await connector.describe("tickets")
    assert schema.key_fields == ("id",)
    with pytest.raises(FatalError, match="no such resource"):
        await connector.describe("invoices")
