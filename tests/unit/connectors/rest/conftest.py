"""Helpers for driving the REST connector against in-process `httpx.MockTransport` handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from causeway.connectors.rest import RestConfig, RestConnector
from causeway.connectors.rest.client import RestClient

Handler = Callable[[httpx.Request], httpx.Response]
BASE = "https://api.example.test/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def config(resources: dict[str, Any], **client: Any) -> RestConfig:
    """A validated configuration for one test system at BASE."""
    return RestConfig.model_validate(
        {"system": "helpdesk", "client": {"base_url": BASE, **client}, "resources": resources}
    )


def client_for(handler: Handler, resources: dict[str, Any], **client: Any) -> RestClient:
    """A client whose requests go to `handler`."""
    return RestClient(config(resources, **client), transport=httpx.MockTransport(handler))


def connector_for(handler: Handler, resources: dict[str, Any], **client: Any) -> RestConnector:
    """A connector whose requests go to `handler`."""
    return RestConnector(config(resources, **client), transport=httpx.MockTransport(handler))
