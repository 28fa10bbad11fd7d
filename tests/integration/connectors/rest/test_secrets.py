"""Secrets stay out of reprs, errors and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from causeway.connectors.errors import FatalError
from causeway.connectors.rest import RestConfigError
from tests.integration.connectors.rest.app import Helpdesk
from tests.integration.connectors.rest.conftest import AUTH, ENV, Build, system_yaml

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("realm", sorted(AUTH))
async def test_secrets_never_show(helpdesk: Helpdesk, build: Build, realm: str) -> None:
    connector = await build(realm=realm)
    await connector.read("tickets", ["1"])
    shown = [repr(connector), repr(connector.client), repr(connector.config), str(connector.config)]
    shown.append(repr(connector.client.credentials))
    wrong = await build(realm=realm, env={name: "wrong-value" for name in ENV})
    with pytest.raises(FatalError) as caught:
        await wrong.read("tickets", ["1"])
    shown += [str(caught.value), repr(caught.value)]
    for secret in ENV.values():
        assert all(secret not in text for text in shown)


async def test_unset_variable_is_named_without_other_secrets(tmp_path: Path) -> None:
    file = tmp_path / "helpdesk.yaml"
    file.write_text(system_yaml("http://127.0.0.1:9", "oauth"), encoding="utf-8")
    env = {name: value for name, value in ENV.items() if name != "HELPDESK_CLIENT_SECRET"}
    from causeway.connectors.rest import RestConnector

    with pytest.raises(RestConfigError) as caught:
        RestConnector.from_file(file, env=env)
    message = str(caught.value)
    assert "helpdesk.yaml:9: client.auth.client_secret: environment variable" in message
    assert "HELPDESK_CLIENT_SECRET is not set" in message
