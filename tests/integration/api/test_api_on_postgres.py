"""The runtime routes on PostgreSQL: filters read into the JSON payload there too."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from causeway.api.app import create_app
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES
from tests.support.postgres import throwaway_database
from tests.unit.api.conftest import (
    GROUP,
    OPS_SECRET,
    TOPIC,
    ParkingHandler,
    api_settings,
    bearer,
    command,
    get_token,
)

pytestmark = pytest.mark.services
LETTERS = "/v1/runtime/dead-letters"


@pytest.fixture
def engine() -> Iterator[Engine]:
    with throwaway_database("causeway_api") as url:
        engine = make_engine(url)
        metadata.create_all(engine, tables=list(RUNTIME_TABLES))
        yield engine
        engine.dispose()


def test_park_filter_fix_replay_and_deliver_on_postgresql(engine: Engine) -> None:
    backbone = SqlBackbone(engine)
    backbone.subscribe(TOPIC, GROUP)
    handler = ParkingHandler()
    worker = Worker(backbone, handler, WorkerSettings(topic=TOPIC, group=GROUP, target="s4hana"))
    backbone.publish(
        TOPIC,
        [command("A", "s4hana", "A_BusinessPartner"), command("P", "s4hana", "A_Product")],
    )
    assert asyncio.run(worker.run_once()) == 2
    client = TestClient(create_app(api_settings(), backbone), raise_server_exceptions=False)
    ops = bearer(get_token(client, "ops", OPS_SECRET))

    partners = client.get(LETTERS, params={"object_name": "A_BusinessPartner"}, headers=ops)
    letter = partners.json()["items"][0]
    fixed = {**letter["payload"], "fixed": True, "note": "nul \u0000 and \u00e9"}
    edited = client.put(f"{LETTERS}/{letter['id']}/payload", json=fixed, headers=ops)
    replayed = client.post(f"{LETTERS}/{letter['id']}/replay", headers=ops)
    bad = client.get(LETTERS, params={"topic": "a\x00b"}, headers=ops)

    assert [item["record"] for item in partners.json()["items"]] == ["A"]
    assert edited.status_code == 200
    assert replayed.status_code == 200
    assert bad.status_code == 422
    assert asyncio.run(worker.run_once()) == 1
    assert [item.id for item in handler.delivered] == [replayed.json()["envelope_id"]]
    assert handler.delivered[0].payload == fixed
