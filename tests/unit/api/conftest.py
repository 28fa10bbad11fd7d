"""An API over a real SQLite backbone, two clients, and a worker that parks what it is fed."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from causeway.api.app import create_app
from causeway.api.client_secrets import hash_secret
from causeway.api.settings import ApiClient, ApiSettings
from causeway.connectors.errors import ErrorClass
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome, Park
from causeway.runtime.worker import Worker, WorkerSettings
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES

TOPIC = "sync.commands.s4hana"
GROUP = "sync"
KEY = "test-signing-key-of-at-least-32-bytes!!"
OPS_SECRET = "ops-secret-0123456789"
VIEWER_SECRET = "viewer-secret-0123456789"


def cheap_hash(secret: str) -> str:
    """A hash with tiny scrypt parameters: tests verify many secrets and must stay fast."""
    return hash_secret(secret, n=2**4, r=1, p=1)


def api_settings(**overrides: Any) -> ApiSettings:
    clients = {
        "ops": ApiClient(
            secret_hash=cheap_hash(OPS_SECRET), scopes=("runtime:read", "runtime:operate")
        ),
        "viewer": ApiClient(secret_hash=cheap_hash(VIEWER_SECRET), scopes=("runtime:read",)),
    }
    values: dict[str, Any] = {"signing_key": KEY, "clients": clients, **overrides}
    return ApiSettings.model_validate(values)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    yield engine
    engine.dispose()


@pytest.fixture
def backbone(engine: Engine) -> SqlBackbone:
    backbone = SqlBackbone(engine)
    backbone.subscribe(TOPIC, GROUP)
    return backbone


@pytest.fixture
def app(backbone: SqlBackbone) -> FastAPI:
    return create_app(api_settings(), backbone)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def get_token(client: TestClient, client_id: str, secret: str, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        form["scope"] = scope
    response = client.post("/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def ops(client: TestClient) -> dict[str, str]:
    """Headers of a client holding both runtime scopes."""
    return bearer(get_token(client, "ops", OPS_SECRET))


@pytest.fixture
def viewer(client: TestClient) -> dict[str, str]:
    """Headers of a client that may only read."""
    return bearer(get_token(client, "viewer", VIEWER_SECRET))


def command(key: str, system: str, object_name: str, **payload: Any) -> Envelope:
    return Envelope(
        kind="command",
        source="causeway",
        entity="customer",
        key=key,
        payload={"system": system, "object_name": object_name, "name": key, **payload},
    )


@dataclass
class ParkingHandler:
    """Parks every payload without `fixed: true`; records what it accepted."""

    delivered: list[Envelope] = field(default_factory=list)

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        outcomes: list[Outcome] = []
        for item in batch:
            if item.payload.get("fixed") is True:
                self.delivered.append(item)
                outcomes.append(Done())
            else:
                outcomes.append(Park(f"{item.key} refused", "name", item.key, ErrorClass.INVALID))
        return outcomes


@dataclass
class Pipeline:
    """The backbone with one worker whose handler parks unfixed payloads."""

    backbone: SqlBackbone
    handler: ParkingHandler
    worker: Worker

    def publish(self, *envelopes: Envelope) -> None:
        self.backbone.publish(TOPIC, list(envelopes))

    def run_once(self) -> int:
        return asyncio.run(self.worker.run_once())


@pytest.fixture
def pipeline(backbone: SqlBackbone) -> Pipeline:
    handler = ParkingHandler()
    worker = Worker(backbone, handler, WorkerSettings(topic=TOPIC, group=GROUP, target="s4hana"))
    return Pipeline(backbone, handler, worker)


@pytest.fixture
def parked(pipeline: Pipeline) -> Pipeline:
    """Three dead letters: two business partners and one product, all invalid."""
    pipeline.publish(
        command("A", "s4hana", "A_BusinessPartner"),
        command("B", "s4hana", "A_BusinessPartner"),
        command("P", "s4hana", "A_Product"),
    )
    assert pipeline.run_once() == 3
    return pipeline
