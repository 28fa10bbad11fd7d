"""A real trytond per test session, and connectors logged in to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from causeway.connectors.tryton import TrytonConnector, TrytonSettings
from tests.support.tryton_server import TrytonServer, TrytonUnavailable, running_server


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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tryton_server: TrytonServer) -> TrytonSettings:
    """Settings for the test server; no settle interval, so fresh changes show at once."""
    return TrytonSettings(
        url=tryton_server.url,
        database=tryton_server.database,
        login=tryton_server.login,
        password=tryton_server.password,
        settle_seconds=0,
        timeout=20,
    )


@pytest.fixture
async def connector(settings: TrytonSettings) -> AsyncIterator[TrytonConnector]:
    """A connector to the test server, closed after the test."""
    tryton = TrytonConnector(settings)
    try:
        yield tryton
    finally:
        await tryton.aclose()
