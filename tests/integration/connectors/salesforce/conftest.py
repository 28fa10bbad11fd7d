"""The CRM sandbox (and the ERP beside it) for Salesforce connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from causeway.sandbox.seed import SeedConfig
from tests.support.sandboxes import Sandboxes, sandboxes


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    with sandboxes(tmp_path_factory.mktemp("sandboxes"), SeedConfig(accounts=30, products=5)) as s:
        yield s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
