"""Every route but the token endpoint, health and the docs wants a token with its scope."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from causeway.api.app import PUBLIC_PATHS, create_app
from causeway.api.tokens import TokenService
from causeway.runtime.backends.sql import SqlBackbone

from .conftest import KEY, api_settings, bearer

SAMPLE = {"topic": "t", "group": "g", "dead_letter_id": "1"}


def protected_routes(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, concrete path, scope needed) of every operation outside the public set.

    Read from the OpenAPI document, which lists every route FastAPI serves.
    """
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        for method, operation in operations.items():
            scopes = [s for entry in operation.get("security", []) for s in entry.get("oauth2", [])]
            found.append((method.upper(), path.format(**SAMPLE), scopes[0] if scopes else None))
    return found


def test_every_non_public_route_declares_a_scope(app: FastAPI) -> None:
    routes = protected_routes(app)

    assert len(routes) >= 10
    assert all(scope in ("runtime:read", "runtime:operate") for _, _, scope in routes)


def test_every_protected_route_refuses_a_request_without_a_token(
    app: FastAPI, client: TestClient
) -> None:
    for method, path, _ in protected_routes(app):
        response = client.request(method, path, json={"reason": "x", "all": True})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="causeway"'


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Bearer ",
        "Basic b3BzOnNlY3JldA==",
        "Bearer " + jwt.encode({"sub": "ops", "scope": "runtime:read"}, KEY, algorithm="HS256"),
        "Bearer " + jwt.encode({"sub": "ops"}, "another-key-that-is-32-bytes-long!!", "HS256"),
    ],
)
def test_a_bad_token_is_refused_as_invalid_token(
    app: FastAPI, client: TestClient, authorization: str
) -> None:
    for method, path, _ in protected_routes(app):
        response = client.request(method, path, headers={"Authorization": authorization})
        assert response.status_code == 401, (method, path)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert response.json()["type"] == "urn:causeway:problem:unauthorized"


def test_an_expired_token_is_refused(client: TestClient) -> None:
    an_hour_ago = TokenService(
        KEY.encode(), audience="causeway", issuer="causeway", ttl=900,
        clock=lambda: time.time() - 3600,
    )
    token = an_hour_ago.issue("ops", ["runtime:read"]).access_token

    response = client.get("/v1/runtime/flows", headers=bearer(token))

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_for_another_audience_is_refused(client: TestClient) -> None:
    elsewhere = TokenService(KEY.encode(), audience="other", issuer="causeway", ttl=900)
    token = elsewhere.issue("ops", ["runtime:read"]).access_token

    assert client.get("/v1/runtime/flows", headers=bearer(token)).status_code == 401


def test_a_removed_client_loses_its_tokens(backbone: SqlBackbone) -> None:
    tokens = TokenService(KEY.encode(), audience="causeway", issuer="causeway", ttl=900)
    token = tokens.issue("gone", ["runtime:read"]).access_token
    app = create_app(api_settings(), backbone)

    response = TestClient(app).get("/v1/runtime/flows", headers=bearer(token))

    assert response.status_code == 401


def test_scopes_taken_from_a_client_since_issue_no_longer_count(backbone: SqlBackbone) -> None:
    tokens = TokenService(KEY.encode(), audience="causeway", issuer="causeway", ttl=900)
    token = tokens.issue("viewer", ["runtime:read", "runtime:operate"]).access_token
    app = create_app(api_settings(), backbone)

    response = TestClient(app).post(
        "/v1/runtime/flows/t/g/resume", headers=bearer(token)
    )

    assert response.status_code == 403


def test_a_read_only_token_is_forbidden_to_operate(
    app: FastAPI, client: TestClient, viewer: dict[str, str]
) -> None:
    operating = [(m, p) for m, p, scope in protected_routes(app) if scope == "runtime:operate"]
    assert len(operating) >= 7
    for method, path in operating:
        response = client.request(method, path, headers=viewer, json={"reason": "x", "all": True})
        assert response.status_code == 403, (method, path)
        problem = response.json()
        assert problem["type"] == "urn:causeway:problem:insufficient-scope"
        assert problem["required_scope"] == "runtime:operate"
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        assert 'scope="runtime:operate"' in response.headers["www-authenticate"]


def test_public_paths_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/v1/docs").status_code == 200
    document = client.get("/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    scheme = document["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"
    assert "/v1/runtime/dead-letters" in document["paths"]
