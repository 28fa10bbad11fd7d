"""The test helpdesk served by uvicorn on a free port, and connectors built from YAML files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from causeway.connectors.rest import RestConnector
from causeway.sandbox.server import RunningServer, serve_in_thread
from tests.integration.connectors.rest.app import (
    API_KEY,
    BASIC,
    BEARER,
    CLIENT,
    Helpdesk,
    build_app,
)

ENV = {
    "HELPDESK_TOKEN": BEARER,
    "HELPDESK_KEY": API_KEY,
    "HELPDESK_PASSWORD": BASIC[1],
    "HELPDESK_CLIENT_SECRET": CLIENT[1],
}
AUTH = {
    "bearer": "    type: bearer\n    token: ${HELPDESK_TOKEN}\n",
    "header-key": "    type: api_key\n    name: X-Api-Key\n    api_key: ${HELPDESK_KEY}\n",
    "query-key": (
        "    type: api_key\n    name: api_key\n    location: query\n    api_key: ${HELPDESK_KEY}\n"
    ),
    "basic": (
        f"    type: http_basic\n    username: {BASIC[0]}\n    password: ${{HELPDESK_PASSWORD}}\n"
    ),
    "oauth": (
        "    type: oauth2_client_credentials\n"
        "    token_url: {url}/oauth/token\n"
        f"    client_id: {CLIENT[0]}\n"
        "    client_secret: ${{HELPDESK_CLIENT_SECRET}}\n"
    ),
}
PAGINATORS = {
    "cursor": "data_selector: data\n"
    "    paginator: {type: cursor, cursor_path: meta.next_cursor, cursor_param: cursor}",
    "offset": "data_selector: items\n    paginator: {type: offset, limit: 2, total_path: total}",
    "pages": "data_selector: results\n"
    "    paginator: {type: page_number, total_path: total_pages,"
    " page_size: 2, size_param: per_page}",
    "link": "data_selector: data\n    paginator: {type: json_link, next_url_path: links.next}",
    "header": "paginator: {type: header_link}",
}

Build = Callable[..., Awaitable[RestConnector]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Helpdesk, RunningServer]]:
    """One server per test module; its state is reset before every test."""
    state = Helpdesk()
    with serve_in_thread(build_app(state)) as server:
        yield state, server


@pytest.fixture
def helpdesk(served: tuple[Helpdesk, RunningServer]) -> Helpdesk:
    """The server's state, empty."""
    served[0].reset()
    return served[0]


def system_yaml(url: str, realm: str = "bearer", style: str = "cursor", extra: str = "") -> str:
    """A system file for the test server: one `tickets` resource paged in the given style."""
    return (
        "system: helpdesk\n"
        "client:\n"
        f"  base_url: {url}/{realm}\n"
        "  timeout_s: 0.5\n"
        "  auth:\n"
        f"{AUTH[realm].replace('{url}', url).replace('{{', '{').replace('}}', '}')}"
        "errors:\n"
        "  message_path: error.message\n"
        "  field_path: error.field\n"
        "resources:\n"
        "  tickets:\n"
        f"    path: /{style}/tickets\n"
        f"    {PAGINATORS[style]}\n"
        "    incremental:\n"
        "      cursor_path: updated_at\n"
        "      param: updated_since\n"
        "      settle_s: 0\n"
        "    read:\n"
        '      path: "/tickets/{id}"\n'
        "      data_selector: data\n"
        "    write:\n"
        "      create: {path: /tickets}\n"
        '      update: {path: "/tickets/{id}"}\n'
        '      delete: {path: "/tickets/{id}"}\n'
        "      lookup:\n"
        "        path: /tickets\n"
        "        params: {external_ref: '{external_value}'}\n"
        "        data_selector: data\n"
        "      body_wrapper: ticket\n"
        "      result_selector: data\n"
        f"{extra}"
    )


@pytest.fixture
async def build(served: tuple[Helpdesk, RunningServer], tmp_path: Path) -> AsyncIterator[Build]:
    """Write a system file and open a connector on it; every connector is closed afterwards."""
    opened: list[RestConnector] = []

    async def open_connector(
        realm: str = "bearer",
        style: str = "cursor",
        extra: str = "",
        env: dict[str, str] | None = None,
    ) -> RestConnector:
        file = tmp_path / f"helpdesk-{len(opened)}.yaml"
        file.write_text(system_yaml(served[1].url, realm, style, extra), encoding="utf-8")
        connector = RestConnector.from_file(file, env=ENV if env is None else env)
        opened.append(connector)
        return connector

    yield open_connector
    for connector in opened:
        await connector.aclose()
