"""Login, re-login after the server drops the session, and credentials kept out of sight."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.errors import FatalError
from causeway.connectors.tryton import TrytonClient, TrytonSettings
from tests.support.tryton_server import TrytonServer

pytestmark = [pytest.mark.anyio, pytest.mark.services, pytest.mark.slow]


async def test_login_loads_the_users_company_into_the_context(settings: TrytonSettings) -> None:
    client = TrytonClient(settings)
    try:
        await client.login()
        [admin] = await client.execute(
            "res.user", "search_read", [["login", "=", settings.login]], 0, 1, None, ["company"]
        )
        assert admin["company"] is not None
        assert await client.execute("company.company", "search_count", []) == 1
    finally:
        await client.aclose()


async def test_a_revoked_session_is_replaced_by_one_new_login(
    settings: TrytonSettings, tryton_server: TrytonServer
) -> None:
    client = TrytonClient(settings)
    try:
        before = await client.execute("party.party", "search_count", [])
        # End the session on the server behind the client's back, as an expiry would.
        revoked = client._authorization
        assert revoked is not None
        async with httpx.AsyncClient() as line:
            await line.post(
                f"{tryton_server.url}/{tryton_server.database}/rpc/",
                json={"id": 1, "method": "common.db.logout", "params": []},
                headers={"Authorization": revoked},
            )
            stale = await line.post(
                f"{tryton_server.url}/{tryton_server.database}/rpc/",
                json={"id": 2, "method": "model.party.party.search_count", "params": [[], {}]},
                headers={"Authorization": revoked},
            )
        assert stale.status_code == 401

        assert await client.execute("party.party", "search_count", []) == before
        assert client._authorization not in (None, revoked)
    finally:
        await client.aclose()


async def test_a_wrong_password_is_fatal_and_not_repeated_anywhere(
    settings: TrytonSettings,
) -> None:
    secret = "wrong-Secret-42"
    wrong = settings.model_copy(update={"password": SecretStr(secret)})
    client = TrytonClient(wrong)
    try:
        with pytest.raises(FatalError) as raised:
            await client.execute("party.party", "search_count", [])
    finally:
        await client.aclose()
    error = raised.value
    assert error.status == 401
    assert error.system == "tryton"
    for text in (str(error), repr(error), repr(client), repr(wrong), str(wrong)):
        assert secret not in text


async def test_the_session_token_never_shows_in_reprs(settings: TrytonSettings) -> None:
    client = TrytonClient(settings)
    try:
        await client.login()
        token = client._authorization
        assert token is not None
        session = token.removeprefix("Session ")
        for text in (repr(client), str(client), repr(settings), settings.model_dump_json()):
            assert session not in text
            assert settings.password.get_secret_value() not in text
    finally:
        await client.aclose()
