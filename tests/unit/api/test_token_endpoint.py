"""`POST /oauth2/token`: the client credentials grant and its RFC 6749 §5.2 errors."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient

from .conftest import KEY, OPS_SECRET, VIEWER_SECRET, basic

GRANT = {"grant_type": "client_credentials"}


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(
        token, KEY, algorithms=["HS256"], audience="causeway", issuer="causeway"
    )
    return decoded


def test_a_client_gets_a_signed_token_with_all_its_scopes(client: TestClient) -> None:
    before = int(time.time())
    response = client.post(
        "/oauth2/token", data={**GRANT, "client_id": "ops", "client_secret": OPS_SECRET}
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "runtime:operate runtime:read"
    found = claims(body["access_token"])
    assert found["sub"] == "ops"
    assert found["scope"] == "runtime:operate runtime:read"
    assert isinstance(found["iat"], int)
    assert found["iat"] >= before
    assert found["exp"] == found["iat"] + 900
    assert found["aud"] == "causeway"
    assert isinstance(found["jti"], str)
    assert found["jti"]


def test_http_basic_authenticates_the_client_too(client: TestClient) -> None:
    response = client.post("/oauth2/token", data=GRANT, headers=basic("viewer", VIEWER_SECRET))

    assert response.status_code == 200
    assert response.json()["scope"] == "runtime:read"


def test_a_client_may_narrow_its_scopes(client: TestClient) -> None:
    form = {**GRANT, "client_id": "ops", "client_secret": OPS_SECRET, "scope": "runtime:read"}
    response = client.post("/oauth2/token", data=form)

    assert response.json()["scope"] == "runtime:read"
    assert claims(response.json()["access_token"])["scope"] == "runtime:read"


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        ({"client_id": "ops", "client_secret": "wrong-secret"}, {}, 401, "invalid_client"),
        ({"client_id": "nobody", "client_secret": OPS_SECRET}, {}, 401, "invalid_client"),
        ({"client_id": "ops"}, {}, 401, "invalid_client"),
        ({}, {}, 401, "invalid_client"),
        ({}, basic("ops", "wrong-secret"), 401, "invalid_client"),
        ({}, {"Authorization": "Basic !!!not-base64"}, 401, "invalid_client"),
        ({}, {"Authorization": "Bearer something"}, 401, "invalid_client"),
        (
            {"client_id": "ops", "client_secret": OPS_SECRET},
            basic("ops", OPS_SECRET),
            400,
            "invalid_request",
        ),
    ],
)
def test_bad_client_credentials_are_refused(
    client: TestClient, form: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    response = client.post("/oauth2/token", data={**GRANT, **form}, headers=headers)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
        ({}, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "runtime:operate"}, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": ""}, "invalid_scope"),
    ],
)
def test_bad_grants_and_scopes_are_refused(
    client: TestClient, form: dict[str, str], error: str
) -> None:
    response = client.post("/oauth2/token", data=form, headers=basic("viewer", VIEWER_SECRET))

    assert response.status_code == 400
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"grant_type": "client_credentials"}', "application/json"),
        (b"grant_type=client_credentials&grant_type=client_credentials", None),
        (b"grant_type=\xff\xfe", None),
        (b"&".join(b"f%d=1" % n for n in range(50)), None),
    ],
)
def test_malformed_forms_are_invalid_requests(
    client: TestClient, content: bytes, content_type: str | None
) -> None:
    headers = {
        **basic("ops", OPS_SECRET),
        "Content-Type": content_type or "application/x-www-form-urlencoded",
    }
    response = client.post("/oauth2/token", content=content, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
